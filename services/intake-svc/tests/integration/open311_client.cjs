// An independent Open311 client (the npm `open311` package, as third-party apps use it) posting
// requests and reading each one back at once: by id, as a listing of ids, and by token.
// Usage: node open311_client.cjs <endpoint ending in /> <api_key> <jurisdiction> <service_code> <rounds>
// Prints one JSON line: {"rounds": n, "references": [...]}; exits 1 at the first failure.
const Open311 = require("open311");

const [endpoint, apiKey, jurisdiction, serviceCode, rounds] = process.argv.slice(2);
const client = new Open311({ endpoint, apiKey, jurisdiction, format: "json" });

function call(method, ...args) {
  return new Promise((resolve, reject) => {
    client[method](...args, (err, data) => (err ? reject(new Error(`${method}: ${data}`)) : resolve(data)));
  });
}

function expectOne(what, data, reference) {
  if (!Array.isArray(data) || data.length !== 1 || data[0].service_request_id !== reference) {
    throw new Error(`${what} answered ${JSON.stringify(data)} for ${reference}`);
  }
  return data[0];
}

async function round(i) {
  const [receipt] = await call("submitRequest", {
    service_code: serviceCode,
    lat: 45.07,
    long: 7.68,
    address_string: "Via Roma 1, Torino",
    description: `Cassonetti traboccanti in via Roma, segnalazione ${i}`,
    email: "maria.rossi@example.org",
    first_name: "Maria",
    last_name: "Rossi",
  });
  const reference = receipt.service_request_id;
  if (!reference || !receipt.token) throw new Error(`submitRequest answered ${JSON.stringify(receipt)}`);
  const view = expectOne("serviceRequest", await call("serviceRequest", reference), reference);
  if (view.service_code !== serviceCode || view.status !== "open") {
    throw new Error(`serviceRequest answered ${JSON.stringify(view)}`);
  }
  expectOne("serviceRequests([id])", await call("serviceRequests", [reference], {}), reference);
  expectOne("token", await call("token", receipt.token), reference);
  return reference;
}

(async () => {
  const references = [];
  for (let i = 0; i < Number(rounds); i++) references.push(await round(i));
  console.log(JSON.stringify({ rounds: references.length, references }));
})().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
