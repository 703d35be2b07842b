#!/usr/bin/env python3
"""Prints the rules a scenario ends with for one service, as `meshsim proxy -f` reads them.

Usage: bench/demo-rules.py SCENARIO SERVICE MESHSIM
The service's Deployments and Service (top level and applied by the timeline),
then its DestinationRule and VirtualService as the timeline leaves them: applied
YAML, deletions, and `say` steps (run through `MESHSIM say`, as the scenario
runner does). run-peers.sh loads the Hightower demo's rules for bar this way.
"""
import subprocess
import sys

import yaml

scenario_path, service, meshsim = sys.argv[1:4]
with open(scenario_path) as f:
    documents = [d for d in yaml.safe_load_all(f) if d]


def name(d):
    return (d.get("metadata") or {}).get("name", "")


def selects(d):
    labels = ((d.get("spec") or {}).get("selector") or {})
    labels = labels.get("matchLabels", labels)
    return labels.get("app") == service


def is_rule_for(d):
    spec = d.get("spec") or {}
    return spec.get("host") == service or service in (spec.get("hosts") or [])


workloads = {}  # (kind, name) -> document, in order
rules = {}
def take(docs):
    for d in docs:
        kind = d.get("kind")
        if kind in ("Deployment", "Service") and (selects(d) or name(d) == service):
            workloads[(kind, name(d))] = d
        elif kind in ("DestinationRule", "VirtualService") and is_rule_for(d):
            rules[(kind, name(d))] = d


take(d for d in documents if d.get("kind") != "Scenario")
scenario = next(d for d in documents if d.get("kind") == "Scenario")
for step in scenario["spec"].get("timeline") or []:
    if "apply" in step:
        take(d for d in yaml.safe_load_all(step["apply"]["yaml"]) if d)
    for gone in step.get("delete") or []:
        rules.pop((gone["kind"], gone["name"]), None)
    if "say" in step:
        said = subprocess.run([meshsim, "say", step["say"]], check=True, capture_output=True, text=True).stdout
        body = said.split("<<EOF\n", 1)[1].split("# EOF", 1)[0] if "<<EOF\n" in said else ""
        take(d for d in yaml.safe_load_all(body) if d)
print(yaml.safe_dump_all(list(workloads.values()) + list(rules.values()), sort_keys=False), end="")
