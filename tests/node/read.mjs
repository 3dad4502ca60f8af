// Reads PDFs as Firefox's pdf.js does, for casebook's tests (tests/readers.py). One process
// serves a whole test session: it reads one PDF path per line on stdin and answers each with
// one line of JSON: the text of each page (items joined, a newline where pdf.js marks the end
// of a line), the page labels and the outline titles.
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

async function read(path) {
  const data = new Uint8Array(readFileSync(path));
  const pdf = await getDocument({ data, useSystemFonts: false, verbosity: 0 }).promise;
  try {
    const pages = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      pages.push(content.items.map((i) => i.str + (i.hasEOL ? "\n" : "")).join(""));
    }
    const walk = (items) => (items || []).map((i) => [i.title, walk(i.items)]);
    return { pages, labels: await pdf.getPageLabels(), outline: walk(await pdf.getOutline()) };
  } finally {
    await pdf.destroy();
  }
}

for await (const path of createInterface({ input: process.stdin })) {
  let answer;
  try {
    answer = await read(path);
  } catch (error) {
    answer = { error: String(error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
