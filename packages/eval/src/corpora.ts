import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseCorpus, type TextCorpora } from "./text.js";

const corporaDir = fileURLToPath(new URL("../../../services/anomaly-detector/corpora/", import.meta.url));

/**
 * The held-out text corpora, written before any scanner tuning: the text endpoint's prompts come
 * from these so that recall and precision are measured on text the scanners were not tuned on.
 */
export function loadHeldoutCorpora(dir = corporaDir): TextCorpora {
  const read = (name: string) => parseCorpus(readFileSync(`${dir}${name}`, "utf8"), name);
  return {
    benign: read("heldout-benign.jsonl"),
    attacks: read("heldout-attacks.jsonl"),
    source: "heldout-files",
  };
}
