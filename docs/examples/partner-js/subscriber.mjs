// A partner company's subscriber: the events of the cases it handles, pushed by Sportello.
//
//   npm install @nats-io/transport-node @nats-io/jetstream
//   node subscriber.mjs partner-pisa-pisamo.json [--take-in-charge] [--max N]
//
// The credentials file is the one Sportello hands over (`make partner NAME=pisamo`). Each event is
// handled, then acknowledged; only after the server confirmed the ack is it printed, so a restart
// resumes right after the last printed event. An event whose ack did not reach the server comes
// again: handle events idempotently, keyed by their `id`.
//
// Events carry no personal data: when a case is handed over to us (`case.handed_over`), we ask
// Sportello for its dossier (the citizen's contact, the description, the place) on our own subject
// `personal.<tenant>.<us>`, and get it only while the case is ours.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";

const ASSIGNED = "it.sportello.case.assigned.v1";
const HANDED_OVER = "it.sportello.case.handed_over."; // any version: none carries the dossier
const STATUS_REPORTED = "it.sportello.case.status_reported.v1";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "take-in-charge": { type: "boolean" }, max: { type: "string" } },
});
const credentials = JSON.parse(readFileSync(positionals[0], "utf8"));
const maxEvents = values.max === undefined ? Infinity : Number(values.max);

const nc = await connect({
  servers: credentials.servers,
  user: credentials.user,
  pass: credentials.password,
  name: `${credentials.user} subscriber`,
  maxReconnectAttempts: -1, // keep trying: the consumer keeps our position meanwhile
});
// Sportello's JetStream is reached through our account's imports, under this prefix.
const js = jetstream(nc, { apiPrefix: credentials.api_prefix });
// The durable consumer Sportello made for us; we may not create or change consumers.
const consumer = await js.consumers.get(credentials.stream, credentials.consumer);
// `consume` keeps a pull request open: the server pushes each event as soon as it is published.
const messages = await consumer.consume({ max_messages: 50 });

const stop = async () => {
  await messages.close();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

let handled = 0;
for await (const message of messages) {
  const event = message.json();
  const dossier = event.type.startsWith(HANDED_OVER) ? await fetchDossier(event.subject) : null;
  if (values["take-in-charge"] && event.type === ASSIGNED) {
    await reportStatus(event, "taken_in_charge");
  }
  await message.ackAck(); // resolves once the server recorded the ack
  const line = {
    id: event.id,
    type: event.type,
    case_id: event.subject,
    nats_subject: message.subject,
    stream_sequence: message.info.streamSequence,
  };
  if (dossier !== null) {
    // what we print of it: that we can reach the citizen, not how
    line.dossier = {
      reference: dossier.reference ?? null,
      can_reach_citizen: Boolean(dossier.citizen) && !dossier.erased,
      error: dossier.error ?? null,
    };
  }
  console.log(JSON.stringify(line));
  handled += 1;
  if (handled >= maxEvents) {
    break;
  }
}
await nc.drain();

// The citizen's contact, the description and the place of a case we handle (request/reply);
// `{"error": "not_yours"}` once it is no longer ours. Keep it only as long as the work needs.
async function fetchDossier(caseId) {
  const reply = await nc.request(credentials.personal_subject, JSON.stringify({ case_id: caseId }), {
    timeout: 10000,
  });
  return reply.json();
}

// Tell Sportello how the case is going: a CloudEvent on our own ingest subject.
async function reportStatus(event, status) {
  const report = {
    specversion: "1.0",
    // Deterministic: a redelivered event produces the same report, which JetStream drops.
    id: `${event.id}:${status}`,
    source: `/partners/${credentials.tenant}/${credentials.name}`,
    type: STATUS_REPORTED,
    subject: event.subject,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    tenant: credentials.tenant,
    organization: credentials.name,
    data: { case_id: event.subject, status, operator: credentials.name },
  };
  await js.publish(credentials.ingest_subject, JSON.stringify(report), { msgID: report.id });
}
