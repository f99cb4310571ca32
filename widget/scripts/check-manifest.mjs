#!/usr/bin/env node
/**
 * @module Fails when the committed custom-elements.json is not what the widget's own generator
 * (`cem analyze`, with custom-elements-manifest.config.mjs) makes of src/ now, or when an `@fires`
 * tag of the element's JSDoc does not name exactly the `detail` fields of its event's type in
 * src/events.ts (`EpayEventDetailMap`). `pnpm run manifest` rewrites the file; `pnpm run build`
 * leaves it alone, so a build before the tests cannot hide a stale manifest.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MANIFEST = 'custom-elements.json';
const EVENTS = 'src/events.ts';
const ELEMENT_TAG = 'epay-applepay-button';

/** What `cem analyze` would write now, as the JSON text it writes. */
async function generate() {
  // The analyzer reads (and may rewrite) the package.json of the working directory: it must be ours.
  process.chdir(root);
  const { cli } = await import('@custom-elements-manifest/analyzer/cli.js');
  const manifest = await cli({ argv: ['analyze', '--quiet'], cwd: root, noWrite: true });
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The manifest with its modules in path order: the file system's listing order is no difference. */
function normalized(text) {
  const manifest = JSON.parse(text);
  manifest.modules = [...(manifest.modules ?? [])].sort((a, b) => String(a.path).localeCompare(String(b.path)));
  return manifest;
}

/** The module paths (and, within them, top-level keys of declarations) where two manifests differ. */
function differences(committed, fresh) {
  const byPath = (m) => new Map(m.modules.map((mod) => [mod.path, mod]));
  const [a, b] = [byPath(committed), byPath(fresh)];
  const out = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const [x, y] = [a.get(path), b.get(path)];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (!x || !y) {
      out.push(`${path}: ${x ? 'no longer in src/' : 'missing from the committed file'}`);
      continue;
    }
    const names = new Set([...(x.declarations ?? []), ...(y.declarations ?? [])].map((d) => d.name));
    const changed = [...names].flatMap((name) => {
      const [dx, dy] = [x.declarations?.find((d) => d.name === name), y.declarations?.find((d) => d.name === name)];
      if (!dx || !dy) return [`${name} (${dx ? 'removed' : 'added'})`];
      const keys = new Set([...Object.keys(dx), ...Object.keys(dy)]);
      return [...keys].filter((k) => JSON.stringify(dx[k]) !== JSON.stringify(dy[k])).map((k) => `${name}.${k}`);
    });
    out.push(`${path}: ${changed.join(', ') || 'exports'}`);
  }
  if (JSON.stringify({ ...committed, modules: [] }) !== JSON.stringify({ ...fresh, modules: [] }))
    out.push('(top level: schemaVersion, …)');
  return out;
}

/** Whether a type is an object whose own fields belong to the event's documented shape. */
function isRecord(checker, type) {
  return (
    (type.flags & ts.TypeFlags.Object) !== 0 && type.getCallSignatures().length === 0 && !checker.isArrayType(type)
  );
}

/**
 * The `detail` fields of every event in `EpayEventDetailMap`, as sorted paths: `payment.id`,
 * `reason?` (optional), nested objects walked.
 */
function detailFieldsFromEvents() {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const file = join(root, EVENTS);
  const program = ts.createProgram([file], { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const map = source?.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === 'EpayEventDetailMap');
  if (!map) throw new Error(`${EVENTS}: no interface EpayEventDetailMap`);
  const walk = (type, prefix) =>
    checker.getPropertiesOfType(type).flatMap((prop) => {
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      const propType = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(prop, map));
      const path = prefix + prop.name;
      return [path + (optional ? '?' : ''), ...(isRecord(checker, propType) ? walk(propType, `${path}.`) : [])];
    });
  const events = new Map();
  for (const event of checker.getPropertiesOfType(checker.getTypeAtLocation(map))) {
    events.set(event.name, walk(checker.getTypeOfSymbolAtLocation(event, map), '').sort());
  }
  return events;
}

/** The fields an `@fires {CustomEvent<{…}>}` type names, in the same path form. */
function fieldsOfFiresType(text) {
  const source = ts.createSourceFile('fires.ts', `type Fires = ${text};`, ts.ScriptTarget.Latest, true);
  const alias = source.statements[0];
  const type = alias && ts.isTypeAliasDeclaration(alias) ? alias.type : undefined;
  const detail =
    type && ts.isTypeReferenceNode(type) && type.typeName.getText(source) === 'CustomEvent'
      ? type.typeArguments?.[0]
      : undefined;
  if (!detail || !ts.isTypeLiteralNode(detail)) return undefined;
  const walk = (literal, prefix) =>
    literal.members.flatMap((member) => {
      if (!ts.isPropertySignature(member)) return [`${prefix}[${member.getText(source)}]`];
      const path = prefix + member.name.getText(source);
      const inner = member.type && ts.isTypeLiteralNode(member.type) ? walk(member.type, `${path}.`) : [];
      return [path + (member.questionToken ? '?' : ''), ...inner];
    });
  return walk(detail, '').sort();
}

/** Every disagreement between the element's `@fires` tags (through the manifest) and events.ts. */
function firesProblems(manifest) {
  const element = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === ELEMENT_TAG);
  if (!element) return [`no declaration with @tag ${ELEMENT_TAG} in the manifest`];
  const typed = detailFieldsFromEvents();
  const fires = new Map((element.events ?? []).map((e) => [e.name, e]));
  const problems = [];
  for (const name of new Set([...typed.keys(), ...fires.keys()])) {
    const expected = typed.get(name);
    const tag = fires.get(name);
    if (!tag) {
      problems.push(`${name}: in EpayEventDetailMap (${EVENTS}) but no @fires tag on the element`);
      continue;
    }
    if (!expected) {
      problems.push(`${name}: an @fires tag, but no such event in EpayEventDetailMap (${EVENTS})`);
      continue;
    }
    const documented = fieldsOfFiresType(tag.type?.text ?? '');
    if (!documented) {
      problems.push(`${name}: the @fires type is not CustomEvent<{…}> (got ${JSON.stringify(tag.type?.text)})`);
      continue;
    }
    const missing = expected.filter((f) => !documented.includes(f));
    const extra = documented.filter((f) => !expected.includes(f));
    if (missing.length || extra.length) {
      problems.push(
        `${name}: the @fires type ${tag.type.text} does not match the detail type in ${EVENTS}` +
          (missing.length ? `; missing ${missing.join(', ')}` : '') +
          (extra.length ? `; not in the type ${extra.join(', ')}` : ''),
      );
    }
  }
  return problems;
}

const freshText = await generate();
const fresh = normalized(freshText);
const committed = normalized(readFileSync(join(root, MANIFEST), 'utf8'));
let failed = false;

const stale = differences(committed, fresh);
if (stale.length > 0) {
  const copy = join(mkdtempSync(join(tmpdir(), 'widget-manifest-')), MANIFEST);
  writeFileSync(copy, freshText);
  console.error(`widget: ${MANIFEST} is stale; it differs from what cem analyze makes of src/ in:`);
  for (const line of stale) console.error(`  ${line}`);
  console.error(`  the generated one: ${copy}`);
  console.error('  rewrite it with: pnpm --filter @epay-applepay/widget manifest');
  failed = true;
}

const drift = firesProblems(fresh);
if (drift.length > 0) {
  console.error("widget: the element's @fires tags and the event detail types disagree:");
  for (const line of drift) console.error(`  ${line}`);
  failed = true;
}

if (failed) process.exit(1);
console.log(`widget: ${MANIFEST} is current, and every @fires tag names its event's detail fields (${EVENTS})`);
