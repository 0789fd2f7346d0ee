// Personal data: email addresses, phone numbers (E.164 and common national formats), payment card
// numbers (13-19 digits, separators allowed, Luhn-valid, known issuer prefix), IBANs (ISO 13616
// country length and mod-97 check) and US social security numbers (with a keyword nearby).
// Evidence is masked: j***@e***.com, ************1111, +** *** *** **32, DE**…(22 chars).

import { maskDigits, maskEmail } from "./redact.js";
import { Findings, type ScanResult } from "./types.js";

export const PII = "pii";

export interface PiiOptions {
  /** Kinds to skip, e.g. ["email"] for a support bot where users give their address on purpose. */
  disabledKinds?: readonly ("email" | "phone" | "card" | "iban" | "ssn")[];
}

const RE_EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b/g;
const ROLE_ACCOUNTS =
  /^(?:support|help|info|contact|sales|billing|noreply|no-reply|admin|webmaster|postmaster|security|privacy|hello|team|jobs|careers|press|abuse|hr|office|service|feedback)$/i;
const RE_CARD = /(?<![\d.,-])(?:\d[ -]?){12,18}\d(?![\d]|[.,]\d)/g;
const RE_PHONE =
  /(?<![\w+.,/-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,8}(?:[ .-]\d{2,8}){1,5}(?![\w/-]|[.,]\d)|(?<![\w+])\+\d{8,15}\b/g;
const RE_PHONE_CONTEXT =
  /(?:phone|tel|telephone|mobile|cell|call|text|whatsapp|signal|fax|number|reach|contact|ruf|anrufen|telefon|handy|téléphone|portable|teléfono|móvil|telefone|номер|телефон|电话|手机|電話)[^\d\n]{0,25}$/i;
const RE_IBAN = /\b([A-Z]{2})(\d{2})((?:[ ]?[A-Z0-9]){11,30})\b/g;
const RE_SSN = /\b(\d{3})-(\d{2})-(\d{4})\b/g;
const RE_SSN_CONTEXT =
  /\b(?:ssn|social security|social-security|sozialversicherung|tax id|taxpayer)\b[^\n]{0,40}$/i;
const RE_NOT_CARD_CONTEXT =
  /(?:order|tracking|invoice|ticket|reference|ref|isbn|id|no\.|number|#|shipment|parcel|account)\W{0,12}$/i;
const RE_CARD_CONTEXT =
  /(?:card|visa|mastercard|amex|american express|discover|jcb|diners|unionpay|credit|debit|cc|cvv|pan|charge|payment|kreditkarte|carte|tarjeta)/i;

const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  TN: 24,
  TR: 26,
  UA: 29,
  VG: 24,
  XK: 20,
};

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Card network from the issuer identification number, or undefined. */
export function cardNetwork(digits: string): string | undefined {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === "4" && (n === 13 || n === 16 || n === 19)) return "visa";
  if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n === 16) return "mastercard";
  if ((p2 === 34 || p2 === 37) && n === 15) return "amex";
  if ((p4 === 6011 || p2 === 65 || (p6 >= 644000 && p6 <= 649999)) && n >= 16) return "discover";
  if (p4 >= 3528 && p4 <= 3589 && n >= 16) return "jcb";
  if ((p2 === 36 || p2 === 38 || p2 === 39 || (p4 >= 3000 && p4 <= 3059)) && n >= 14) return "diners";
  if (p2 === 62 && n >= 16) return "unionpay";
  if ((p2 === 50 || (p2 >= 56 && p2 <= 69)) && n >= 12) return "maestro";
  return undefined;
}

export function ibanValid(iban: string): boolean {
  const s = iban.replace(/ /g, "").toUpperCase();
  const expected = IBAN_LENGTHS[s.slice(0, 2)];
  if (expected === undefined || s.length !== expected) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 && code <= 90 ? String(code - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

export function scanPii(text: string, options: PiiOptions = {}): ScanResult {
  const f = new Findings();
  const disabled = new Set(options.disabledKinds ?? []);
  const covered: [number, number][] = [];
  const isCovered = (a: number, b: number) => covered.some(([x, y]) => a < y && b > x);

  if (!disabled.has("email")) {
    for (const m of text.matchAll(RE_EMAIL)) {
      const local = m[0].slice(0, m[0].indexOf("@"));
      covered.push([m.index, m.index + m[0].length]);
      const role = ROLE_ACCOUNTS.test(local);
      f.add(role ? "email-role-account" : "email", role ? 0.25 : 0.65, maskEmail(m[0]), m.index);
    }
  }
  if (!disabled.has("iban")) {
    for (const m of text.matchAll(RE_IBAN)) {
      const raw = m[0].replace(/ +$/, "");
      if (isCovered(m.index, m.index + raw.length)) continue;
      // The body may have swallowed a following word: try shorter prefixes down to the country length.
      const compact = raw.replace(/ /g, "");
      const len = IBAN_LENGTHS[compact.slice(0, 2)];
      if (len === undefined || compact.length < len) continue;
      const candidate = compact.slice(0, len);
      if (!ibanValid(candidate)) continue;
      covered.push([m.index, m.index + raw.length]);
      f.add("iban", 0.85, `${candidate.slice(0, 2)}**…(${candidate.length} chars)`, m.index);
    }
  }
  if (!disabled.has("card")) {
    for (const m of text.matchAll(RE_CARD)) {
      const raw = m[0].replace(/[ -]+$/, "");
      if (isCovered(m.index, m.index + raw.length)) continue;
      const digits = raw.replace(/[ -]/g, "");
      if (digits.length < 13 || digits.length > 19 || !luhnValid(digits) || /^(\d)\1+$/.test(digits))
        continue;
      // Separators, when present, must group like a card (4-4-4-4, 4-6-5, 4-4-4-4-3).
      const groups = raw.split(/[ -]/).map((g) => g.length);
      if (
        groups.length > 1 &&
        !groups.slice(0, -1).every((g) => g === 4) &&
        groups.join("-") !== "4-6-5" &&
        groups.join("-") !== "4-6-4"
      )
        continue;
      const network = cardNetwork(digits);
      const before = text.slice(Math.max(0, m.index - 40), m.index);
      const near = text.slice(Math.max(0, m.index - 60), Math.min(text.length, m.index + raw.length + 30));
      const cardWords = RE_CARD_CONTEXT.test(near);
      let score = network ? 0.9 : cardWords ? 0.7 : 0.4;
      if (!cardWords && RE_NOT_CARD_CONTEXT.test(before)) score *= 0.5;
      covered.push([m.index, m.index + raw.length]);
      f.add(
        "payment-card",
        score,
        `${network ?? "card"} ${maskDigits(digits, 4)} (${digits.length} digits, Luhn valid)`,
        m.index,
      );
    }
  }
  if (!disabled.has("ssn")) {
    for (const m of text.matchAll(RE_SSN)) {
      if (isCovered(m.index, m.index + m[0].length)) continue;
      const area = Number(m[1]);
      if (area === 0 || area === 666 || area >= 900 || m[2] === "00" || m[3] === "0000") continue;
      const context = RE_SSN_CONTEXT.test(text.slice(Math.max(0, m.index - 60), m.index));
      covered.push([m.index, m.index + m[0].length]);
      f.add("ssn", context ? 0.85 : 0.4, maskDigits(m[0], 2), m.index);
    }
  }
  if (!disabled.has("phone")) {
    for (const m of text.matchAll(RE_PHONE)) {
      const raw = m[0];
      if (isCovered(m.index, m.index + raw.length)) continue;
      const digits = raw.replace(/\D/g, "");
      const international = raw.startsWith("+");
      if (digits.length < (international ? 8 : 9) || digits.length > 15) continue;
      if (/^\d{4}[-.]\d{2}[-.]\d{2}$/.test(raw) || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(raw)) continue; // dates, IPs
      if (/^\d{1,3}(?:[ ,]\d{3})+$/.test(raw)) continue; // 1 204 331: a grouped number, not a phone
      const context = RE_PHONE_CONTEXT.test(text.slice(Math.max(0, m.index - 30), m.index));
      const shaped = /^\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}$|^\d{3}[-.]\d{3}[-.]\d{4}$/.test(raw);
      const score = international ? (context ? 0.75 : 0.6) : context ? 0.65 : shaped ? 0.55 : 0;
      if (score === 0) continue;
      covered.push([m.index, m.index + raw.length]);
      f.add("phone", score, maskDigits(raw, 2), m.index);
    }
  }
  return f.toResult(PII, "max");
}
