"""The whole review workflow over the JSON API, as a clinic's script would run it (docs/api.md).

Imports an intake, screens the patient, overrides the most serious finding that its rule lets a physician
set aside (co-signed by a second physician when the rule needs it), signs the decision (cleared when the
effective verdict allows it, else not cleared) and downloads the consult PDF. Standard library only.

Usage:
    API_TOKEN=... COSIGNER_TOKEN=... python scripts/api_walkthrough.py BASE_URL INTAKE.json OUT.pdf

API_TOKEN and COSIGNER_TOKEN belong to two different physicians (`manage.py api_token USERNAME`).
Exits 1 with the server's answer at the first step that fails.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


class StepFailed(Exception):
    pass


def call(base: str, token: str, method: str, path: str, body: object | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 (main() allows http and https only)
        base.rstrip("/") + "/api/v1" + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (the caller's own server)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def expect(step: str, answer: tuple[int, bytes], status: int) -> dict:
    code, body = answer
    if code != status:
        raise StepFailed(f"{step}: HTTP {code} (expected {status}): {body[:500].decode(errors='replace')}")
    return json.loads(body) if body else {}


def walkthrough(base: str, token: str, cosigner: str, intake: dict, out: Path) -> None:
    stored = expect("import the intake", call(base, token, "POST", "/intakes", intake), 201)
    print(f"patient {stored['patient_id']} {'created' if stored['created'] else 'updated'}")

    screening = expect(
        "screen the patient", call(base, token, "POST", f"/patients/{stored['patient_id']}/screenings"), 201
    )
    sid = screening["id"]
    print(f"screening {sid}: {screening['verdict']}")

    policy = screening["override_policy"]
    finding = next((f for f in screening["report"]["findings"] if policy.get(f["rule"]) != "none"), None)
    if finding is not None:
        override = expect(
            f"override {finding['rule']}",
            call(
                base,
                token,
                "POST",
                f"/screenings/{sid}/overrides",
                {"rule": finding["rule"], "reason": "Reviewed with the consulting physician (walkthrough)."},
            ),
            201,
        )
        print(f"override {override['id']} of {finding['rule']}")
        if override["needs_cosign"]:
            expect(
                "co-sign the override",
                call(base, cosigner, "POST", f"/screenings/{sid}/overrides/{override['id']}/cosign"),
                201,
            )
            print("co-signed by a second physician")

    now = expect("read the screening", call(base, token, "GET", f"/screenings/{sid}"), 200)
    clearable = now["effective_verdict"] in ("eligible", "eligible_with_precautions") and now["current"]
    decision = {"decision": "cleared" if clearable else "not_cleared", "note": "walkthrough"}
    signoff = expect("sign", call(base, token, "POST", f"/screenings/{sid}/signoff", decision), 201)
    print(f"{signoff['decision']} by {signoff['signed_by']} (effective verdict {now['effective_verdict']})")

    pdf = expect("request the PDF", call(base, token, "POST", f"/screenings/{sid}/pdf"), 202)
    deadline = time.monotonic() + 90
    while pdf["status"] in ("queued", "rendering", "outdated") and time.monotonic() < deadline:
        time.sleep(0.5)
        pdf = expect("poll the PDF", call(base, token, "GET", f"/screenings/{sid}/pdf"), 200)
    if pdf["status"] != "ready":
        raise StepFailed(f"the PDF is {pdf['status']}: {pdf.get('error', '')}")
    code, content = call(base, token, "GET", f"/screenings/{sid}/pdf/download")
    if code != 200 or not content.startswith(b"%PDF"):
        raise StepFailed(f"download the PDF: HTTP {code}")
    out.write_bytes(content)
    print(f"PDF written to {out} ({len(content)} bytes)")


def main(argv: list[str]) -> int:
    if len(argv) != 4 or not os.environ.get("API_TOKEN") or not os.environ.get("COSIGNER_TOKEN"):
        print(__doc__, file=sys.stderr)
        return 2
    base, intake_path, out = argv[1], Path(argv[2]), Path(argv[3])
    if not base.startswith(("http://", "https://")):
        print("BASE_URL must start with http:// or https://", file=sys.stderr)
        return 2
    try:
        walkthrough(
            base,
            os.environ["API_TOKEN"],
            os.environ["COSIGNER_TOKEN"],
            json.loads(intake_path.read_text(encoding="utf-8")),
            out,
        )
    except StepFailed as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
