/** @module What the bank remembers of a cryptopay call beyond the ledger line, for 3-D Secure, redirects and notifications. */

/** The merchant-supplied extras of one payment, all as the bank echoes them (`""` when absent). */
export interface PaymentDetails {
  name: string;
  email: string;
  phone: string;
  accountId: string;
  description: string;
  invoiceIdAlt: string;
  backLink: string;
  failureBackLink: string;
  postLink: string;
  failurePostLink: string;
  /** A saved-card id when `cardSave` was true, else `""`. */
  cardId: string;
  /** Whether the payment went through 3-D Secure. */
  secure: boolean;
  /** Six digits when approved, else `""`. */
  approvalCode: string;
}
