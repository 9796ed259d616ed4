"""Fuzz the API with schemathesis over its own OpenAPI document, stateful phase included.

    .venv/bin/python bench/fuzz.py [--seconds 600] [--max-examples N] [--seed N]

(``make fuzz``, with ``FUZZ_BUDGET`` as ``--seconds``: schemathesis repeats its fuzzing and
stateful phases until that time is spent.) The database ``FUZZ_DATABASE_URL``
(default postgres://postgres@127.0.0.1:5432/ledgerline_fuzz) is dropped, created and migrated;
an account with a test secret key gets a few real objects (customer, card, payment method,
product, price, coupon, invoice, charge, refund…). gunicorn (production settings, 2 workers) then
serves it on a free loopback port. The served ``/v1/openapi.json`` is copied with each path
parameter's example (and, except on deletes, its only allowed value) set to the seeded object,
so generated requests reach real objects; its links take the stateful phase from each create to
the object created. No Celery worker runs: tasks (webhook deliveries among them) stay queued.

Prints the calls made, the 5xx answers and the schema violations (from schemathesis' NDJSON
report, kept in the report folder with gunicorn's log), and exits 1 if either is not zero.
"""

import argparse
import base64
import collections
import glob
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import _support  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ledgerline_fuzz"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
PHASES = "examples,coverage,fuzzing,stateful"


def server_env(*, database_url: str, broker_dir: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        PYTHONPATH=_support.ROOT,
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=_support.LOOPBACK,
        # Plain HTTP on loopback: no proxy in front to terminate TLS.
        SECURE_SSL_REDIRECT="0",
        BROKER_DIR=broker_dir,
        CELERY_TASK_ALWAYS_EAGER="0",
        LOG_LEVEL="WARNING",
    )
    return env


def account_create(env: dict[str, str]) -> str:
    """A test-mode account; returns its secret key."""
    result = subprocess.run(
        [sys.executable, "manage.py", "create_account", "--name", "Fuzz Co", "--json"],
        cwd=_support.ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout)["secret_key"]


class Api:
    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.session.request(method, self.base + path, json=body, timeout=30)
        if response.status_code != 200:
            raise SystemExit(
                f"seeding: {method} {path} answered {response.status_code}: {response.text[:500]}"
            )
        return response.json()


def seed(api: Api) -> list[str]:
    """Real objects for the schema's examples; returns their ids."""
    customer = api.call("POST", "/v1/customers", {"email": "fuzz@example.com", "name": "Fuzz"})
    cus = customer["id"]
    card = api.call("POST", f"/v1/customers/{cus}/sources", {"source": "tok_visa"})
    pm = api.call("POST", "/v1/payment_methods", {"type": "card", "card": {"token": "tok_visa"}})
    api.call("POST", f"/v1/payment_methods/{pm['id']}/attach", {"customer": cus})
    api.call(
        "POST", f"/v1/customers/{cus}", {"invoice_settings": {"default_payment_method": pm["id"]}}
    )
    product = api.call("POST", "/v1/products", {"name": "Fuzz plan"})
    price = api.call(
        "POST",
        "/v1/prices",
        {
            "product": product["id"],
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
        },
    )
    coupon = api.call("POST", "/v1/coupons", {"id": "25OFF", "percent_off": 25, "duration": "once"})
    promo = api.call("POST", "/v1/promotion_codes", {"coupon": coupon["id"], "code": "FUZZ25"})
    clock = api.call("POST", "/v1/test_helpers/test_clocks", {"frozen_time": int(time.time())})
    subscription = api.call(
        "POST",
        "/v1/subscriptions",
        {"customer": cus, "items": [{"price": price["id"]}]},
    )
    item = api.call("POST", "/v1/invoiceitems", {"customer": cus, "amount": 500, "currency": "usd"})
    invoice = api.call(
        "POST", "/v1/invoices", {"customer": cus, "pending_invoice_items_behavior": "include"}
    )
    charge = api.call(
        "POST",
        "/v1/charges",
        {"amount": 2000, "currency": "usd", "customer": cus, "source": card["id"]},
    )
    refund = api.call("POST", "/v1/refunds", {"charge": charge["id"], "amount": 100})
    intent = api.call(
        "POST",
        "/v1/payment_intents",
        {"amount": 1500, "currency": "usd", "customer": cus, "payment_method": pm["id"]},
    )
    tax_id = api.call(
        "POST", f"/v1/customers/{cus}/tax_ids", {"type": "eu_vat", "value": "DE123456789"}
    )
    note = api.call("POST", f"/v1/customers/{cus}/notes", {"body": "Seeded for the fuzzer."})
    adjustment = api.call(
        "POST",
        f"/v1/customers/{cus}/balance_transactions",
        {"amount": -300, "currency": "usd"},
    )
    endpoint = api.call(
        "POST",
        "/v1/webhook_endpoints",
        {"url": "https://127.0.0.1:9/hook", "enabled_events": ["*"]},
    )
    finalized = api.call(
        "POST",
        "/v1/invoices",
        {"customer": cus, "collection_method": "send_invoice", "days_until_due": 30},
    )
    api.call(
        "POST",
        "/v1/invoiceitems",
        {"customer": cus, "invoice": finalized["id"], "amount": 900, "currency": "usd"},
    )
    api.call("POST", f"/v1/invoices/{finalized['id']}/finalize")
    credit_note = api.call("POST", "/v1/credit_notes", {"invoice": finalized["id"], "amount": 100})
    token = api.call(
        "POST",
        "/v1/tokens",
        {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}},
    )
    event = api.call("GET", "/v1/events?limit=1")["data"][0]
    return [
        cus,
        card["id"],
        pm["id"],
        product["id"],
        price["id"],
        coupon["id"],
        promo["id"],
        clock["id"],
        subscription["id"],
        subscription["items"]["data"][0]["id"],
        item["id"],
        invoice["id"],
        charge["id"],
        charge["balance_transaction"],
        refund["id"],
        intent["id"],
        tax_id["id"],
        note["id"],
        adjustment["id"],
        endpoint["id"],
        credit_note["id"],
        token["id"],
        event["id"],
    ]


def schema_with_seeds(schema: dict, ids: list[str]) -> dict:
    """The schema with every path parameter pointing at the seeded object of its kind: the
    served example names the kind by its prefix (``cus_…``)."""
    by_prefix = {object_id.split("_")[0]: object_id for object_id in ids}
    for item in schema["paths"].values():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                seeded = by_prefix.get(parameter.get("example", "").split("_")[0])
                if seeded is None:
                    continue
                parameter["example"] = seeded
                if method != "delete":
                    # Positive cases use the real object; negative ones still try others.
                    parameter["schema"] = {**parameter["schema"], "enum": [seeded]}
    return schema


def schemathesis_run(
    *, schema_path: str, base: str, key: str, report_dir: str, args: argparse.Namespace
) -> None:
    command = [
        os.path.join(_support.VENV_BIN, "schemathesis"),
        "run",
        schema_path,
        "--url",
        base,
        "--header",
        f"Authorization: Bearer {key}",
        "--phases",
        PHASES,
        "--checks",
        ",".join(CHECKS),
        "--max-time",
        str(args.seconds),
        "--workers",
        str(args.workers),
        "--continue-on-failure",
        "--generation-with-security-parameters",
        "false",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--report",
        "ndjson",
        "--report-dir",
        report_dir,
        "--no-color",
    ]
    if args.max_examples:
        command += ["--max-examples", str(args.max_examples)]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    with open(os.path.join(report_dir, "schemathesis.txt"), "w") as out:
        return subprocess.run(
            command, cwd=report_dir, stdout=out, stderr=subprocess.STDOUT
        ).returncode


def _body(content: dict) -> str:
    if "$base64" in content:
        return base64.b64decode(content["$base64"]).decode("utf-8", errors="replace")
    return str(content)


def report_read(report_dir: str) -> dict:
    """Calls, 5xx answers and failed checks of the other answers in the NDJSON report."""
    calls = 0
    errors: collections.Counter = collections.Counter()
    violations: collections.Counter = collections.Counter()
    samples: dict[tuple, str] = {}
    found = glob.glob(os.path.join(report_dir, "ndjson-*.ndjson"))
    if not found:
        raise SystemExit(f"schemathesis wrote no report: see {report_dir}/schemathesis.txt")
    (path,) = found
    with open(path) as report:
        for line in report:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if finished is None:
                continue
            recorder = finished["recorder"]
            cases = recorder.get("cases", {})
            for case_id, interaction in recorder.get("interactions", {}).items():
                calls += 1
                response = interaction.get("response") or {}
                status = response.get("status_code", 0)
                if status >= 500:
                    case = cases[case_id]["value"]
                    label = (status, case["method"], case["path"])
                    errors[label] += 1
                    body = _body(response.get("content") or {})
                    samples.setdefault(label, f"{interaction['request']['uri']} -> {body[:200]}")
            for case_id, checks in recorder.get("checks", {}).items():
                answer = recorder.get("interactions", {}).get(case_id, {}).get("response") or {}
                if answer.get("status_code", 0) >= 500:
                    continue  # counted once, as a 5xx
                for check in checks:
                    if check["status"] != "failure" or check["name"] == "not_a_server_error":
                        continue
                    failure = check["failure_info"]["failure"]
                    label = (failure["operation"], failure["title"])
                    violations[label] += 1
                    samples.setdefault(label, failure["message"][:300])
    return {"calls": calls, "errors": errors, "violations": violations, "samples": samples}


def summary_print(result: dict, seconds: float) -> None:
    errors, violations = result["errors"], result["violations"]
    for label, count in sorted(errors.items()):
        print(f"5xx  {count:6d}  {' '.join(map(str, label))}\n        {result['samples'][label]}")
    for label, count in sorted(violations.items()):
        print(
            f"viol {count:6d}  {' — '.join(label)}\n        "
            f"{result['samples'][label].replace(chr(10), ' | ')}"
        )
    print(
        f"calls made: {result['calls']}  5xx found: {sum(errors.values())}  "
        f"schema violations: {sum(violations.values())}  ({seconds:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600, help="schemathesis' time budget")
    parser.add_argument("--max-examples", type=int, default=0, help="test cases per operation")
    parser.add_argument("--workers", type=int, default=2, help="schemathesis workers")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    started = time.monotonic()

    database_url = os.environ.get("FUZZ_DATABASE_URL") or DEFAULT_DATABASE_URL
    _support.database_recreate(database_url)
    report_dir = tempfile.mkdtemp(prefix="ledgerline-fuzz-")
    env = server_env(database_url=database_url, broker_dir=os.path.join(report_dir, "broker"))
    _support.manage("migrate", "--noinput", env=env)
    key = account_create(env)
    with open(os.path.join(report_dir, "gunicorn.log"), "w") as log:
        with _support.gunicorn(env=env, workers=2, threads=1, stderr=log) as port:
            base = f"http://{_support.LOOPBACK}:{port}"
            api = Api(base, key)
            schema = schema_with_seeds(api.call("GET", "/v1/openapi.json"), seed(api))
            schema_path = os.path.join(report_dir, "openapi.json")
            with open(schema_path, "w") as out:
                json.dump(schema, out)
            schemathesis_run(
                schema_path=schema_path, base=base, key=key, report_dir=report_dir, args=args
            )
    result = report_read(report_dir)
    summary_print(result, time.monotonic() - started)
    print(f"report: {report_dir}")
    if result["errors"] or result["violations"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
