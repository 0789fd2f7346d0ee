// A sealed value (runtime's sealed.ts: v1.<keyId>.<iv b64url>.<ciphertext b64url>.<tag b64url>)
// written with 7 bits per character instead of base64's 6: "v1.<keyId>." then the IV, tag and
// ciphertext bytes, 7 bits at a time, as characters U+0000–U+007F. Every such character is one
// byte in UTF-8, so the text goes through Redis and back unchanged; it must not go into JSON
// (which would escape the control characters). Outbox bodies and history details are stored so
// (notification-layout.ts, history-layout.ts), after their record's JSON and a line break.
const ivBytes = 12;
const tagBytes = 16;

export function sealedToText(sealed: string): string {
  const [version, keyId, iv, ciphertext, tag] = sealed.split(".");
  const bytes = [iv, tag, ciphertext].map((part) => Buffer.from(part ?? "", "base64url"));
  if (version !== "v1" || bytes[0]?.length !== ivBytes || bytes[1]?.length !== tagBytes)
    throw new Error("not a v1 sealed value");
  return `v1.${keyId}.${to7Bit(Buffer.concat(bytes))}`;
}

export function sealedOfText(text: string): string {
  const second = text.indexOf(".", 3);
  const bytes = from7Bit(text.slice(second + 1));
  const part = (start: number, end?: number) => bytes.subarray(start, end).toString("base64url");
  const [iv, tag, ciphertext] = [
    part(0, ivBytes),
    part(ivBytes, ivBytes + tagBytes),
    part(ivBytes + tagBytes),
  ];
  return `${text.slice(0, second)}.${iv}.${ciphertext}.${tag}`;
}

function to7Bit(bytes: Buffer): string {
  const chars = Buffer.alloc(Math.ceil((bytes.length * 8) / 7));
  let at = 0;
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 7) {
      bits -= 7;
      chars[at++] = (buffer >> bits) & 0x7f;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) chars[at++] = (buffer << (7 - bits)) & 0x7f;
  return chars.toString("latin1");
}

function from7Bit(text: string): Buffer {
  const bytes = Buffer.alloc(Math.floor((text.length * 7) / 8));
  let at = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    buffer = (buffer << 7) | (text.charCodeAt(i) & 0x7f);
    bits += 7;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (buffer >> bits) & 0xff;
    }
    buffer &= (1 << bits) - 1;
  }
  return bytes;
}
