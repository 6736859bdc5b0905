#!/usr/bin/env node
// epcis.mjs: an independent reader and writer of GS1 EPCIS 2.0 for
// tests/blackbox/test_epcis.py, made with epcis2.js from npm (its
// EPCISDocument schema check and its builders), sharing nothing with cmcc.
//
//   node tests/epcis/epcis.mjs validate FILE   (or - for stdin)
//     Exit 0 and "valid" when epcis2.js's validateEpcisDocument (the EPCIS
//     2.0 JSON schema, the event fields, and, with the library's
//     checkExtensions setting on, every extension's prefix bound in
//     @context) finds nothing; exit 1 with its messages on stderr otherwise.
//
//   node tests/epcis/epcis.mjs build SPEC.json  (or - for stdin)
//     Builds an EPCISDocument with the library's builders (ObjectEvent,
//     QuantityElement, SourceElement, DestinationElement, ReadPoint,
//     BizLocation, BizTransactionElement, Ilmd) from a plain description,
//     checks it with the same validator, and prints it. SPEC is
//       {"context": {"prefix": "namespace IRI", ...},
//        "events": [{"eventID", "eventTime", "action", "bizStep"?,
//                    "disposition"?, "readPoint"?, "bizLocation"?,
//                    "bizTransactions"?: [[type, uri]],
//                    "quantities"?: [[epcClass, quantity?, uom?]],
//                    "epcs"?: [uri], "sources"?: [[type, uri]],
//                    "destinations"?: [[type, uri]], "ilmd"?: {...},
//                    "extensions"?: {"prefix:name": value}}]}
//     A quantity given as null is left out (to build bad documents too).
//
// Exit 2 when the input cannot be read. Install the library first with
// `npm ci --prefix tests/epcis`.
import { readFileSync } from "node:fs";
import epcis from "epcis2.js";

const {
  EPCISDocument, ObjectEvent, QuantityElement, SourceElement, DestinationElement, ReadPoint,
  BizLocation, BizTransactionElement, Ilmd, validateEpcisDocument, setup,
} = epcis;

setup({ checkExtensions: true });

const [mode, arg] = process.argv.slice(2);
let text;
try {
  text = readFileSync(!arg || arg === "-" ? 0 : arg, "utf8");
} catch (e) {
  console.error(`epcis.mjs: cannot read ${arg || "stdin"}: ${e.message}`);
  process.exit(2);
}

function check(doc) {
  const r = validateEpcisDocument(doc, false);
  if (!r.success) {
    for (const m of r.errors) console.error(m);
    console.error(`epcis.mjs: ${r.errors.length} error(s) in ${arg || "stdin"}`);
    process.exit(1);
  }
}

function build(spec) {
  const doc = new EPCISDocument();
  doc.setContext(["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    spec.context || {}]);
  for (const e of spec.events) {
    const ev = new ObjectEvent();
    ev.setEventID(e.eventID).setEventTime(e.eventTime).setAction(e.action);
    if (e.bizStep) ev.setBizStep(e.bizStep);
    if (e.disposition) ev.setDisposition(e.disposition);
    if (e.readPoint) ev.setReadPoint(new ReadPoint().setId(e.readPoint));
    if (e.bizLocation) ev.setBizLocation(new BizLocation().setId(e.bizLocation));
    for (const [type, uri] of e.bizTransactions || [])
      ev.addBizTransaction(new BizTransactionElement().setType(type).setBizTransaction(uri));
    for (const uri of e.epcs || []) ev.addEPC(uri);
    for (const [cls, q, uom] of e.quantities || []) {
      const qe = new QuantityElement().setEpcClass(cls);
      if (q !== null && q !== undefined) qe.setQuantity(q);
      if (uom) qe.setUom(uom);
      ev.addQuantity(qe);
    }
    for (const [type, uri] of e.sources || [])
      ev.addSource(new SourceElement().setType(type).setSource(uri));
    for (const [type, uri] of e.destinations || [])
      ev.addDestination(new DestinationElement().setType(type).setDestination(uri));
    if (e.ilmd) {
      const m = new Ilmd();
      for (const [k, v] of Object.entries(e.ilmd)) m.addExtension(k, v);
      ev.setIlmd(m);
    }
    for (const [k, v] of Object.entries(e.extensions || {})) ev.addExtension(k, v);
    doc.addEvent(ev);
  }
  return doc.toObject();
}

if (mode === "validate") {
  check(JSON.parse(text));
  console.log("valid");
} else if (mode === "build") {
  const doc = build(JSON.parse(text));
  check(doc);
  console.log(JSON.stringify(doc));
} else {
  console.error("usage: epcis.mjs validate FILE | build SPEC.json");
  process.exit(2);
}
