"""`.ci/pip-audit`: fails on a known vulnerability unless it is an accepted exception with a reason.

PyPI's vulnerability data cannot be reached from the test machines, so pip-audit
itself is stood in for by a script that prints a report in pip-audit's JSON
format and records its arguments; the CI script around it runs for real.
"""

import json
import os
import subprocess
import sys
import textwrap

from tests.ops.helpers import ROOT

VULN = {
    "id": "GHSA-aaaa-bbbb-cccc",
    "fix_versions": ["5.2.20"],
    "aliases": ["CVE-2026-0001"],
    "description": "x",
}


def run(tmp_path, dependencies, ignore_text="# none\n"):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": dependencies, "fixes": []}))
    fake = tmp_path / "pip-audit"
    fake.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, sys
            ignored = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--ignore-vuln"]
            open({str(tmp_path / "args.json")!r}, "w").write(json.dumps(sys.argv[1:]))
            report = json.load(open({str(report)!r}))
            for dep in report["dependencies"]:
                dep["vulns"] = [v for v in dep.get("vulns", []) if v["id"] not in ignored]
            print(json.dumps(report))
            sys.exit(1 if any(dep.get("vulns") for dep in report["dependencies"]) else 0)
            """
        )
    )
    fake.chmod(0o755)
    ignore = tmp_path / "ignore.txt"
    ignore.write_text(ignore_text)
    env = {
        **os.environ,
        "PIP_AUDIT": str(fake),
        "PIP_AUDIT_IGNORE_FILE": str(ignore),
        "PIP_AUDIT_SKIP_PROBE": "1",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / ".ci" / "pip-audit")], env=env, capture_output=True, text=True, timeout=60
    )
    args = json.loads((tmp_path / "args.json").read_text()) if (tmp_path / "args.json").exists() else None
    return result, args


def test_known_vulnerability_fails(tmp_path):
    result, args = run(tmp_path, [{"name": "django", "version": "5.2.19", "vulns": [VULN]}])
    assert result.returncode == 1
    assert "django 5.2.19: GHSA-aaaa-bbbb-cccc (fixed in: 5.2.20)" in result.stdout
    assert args[:2] == ["-r", "requirements.txt"]


def test_accepted_exception_passes_and_is_listed(tmp_path):
    result, args = run(
        tmp_path,
        [
            {"name": "django", "version": "5.2.19", "vulns": [VULN]},
            {"name": "celery", "version": "5.7.0", "vulns": []},
        ],
        ignore_text="GHSA-aaaa-bbbb-cccc  # only the X feature, unused here; revisit 2027-01\n",
    )
    assert result.returncode == 0, result.stdout
    assert args[args.index("--ignore-vuln") + 1] == "GHSA-aaaa-bbbb-cccc"
    assert (
        "2 packages audited, no known vulnerabilities; accepted exceptions: GHSA-aaaa-bbbb-cccc"
        in result.stdout
    )


def test_exception_without_reason_is_refused(tmp_path):
    result, args = run(tmp_path, [], ignore_text="GHSA-aaaa-bbbb-cccc\n")
    assert result.returncode != 0
    assert "say why GHSA-aaaa-bbbb-cccc is accepted" in result.stderr
    assert args is None  # pip-audit never ran


def test_unreachable_advisory_data_is_reported_not_failed(tmp_path):
    skipped = [
        {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name}"}
        for name in ("django", "celery")
    ]
    result, _ = run(tmp_path, skipped)
    assert result.returncode == 0
    assert "dependencies NOT audited" in result.stdout


def test_the_repository_exceptions_file_is_valid():
    for number, line in enumerate((ROOT / ".ci" / "pip-audit-ignore.txt").read_text().splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            vuln_id, _, reason = stripped.partition("#")
            assert vuln_id.split() and reason.strip(), f"line {number} needs an id and `# why`"
