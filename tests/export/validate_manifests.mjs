// Validates every document of the given YAML files (or folders, recursively)
// against the schemas of the npm packages kubernetes-models,
// @kubernetes-models/istio, @kubernetes-models/gateway-api and
// @kubernetes-models/argo-rollouts (installed by scripts/install-npm-deps.sh).
// Those schemas check types, enums and required fields, not unknown field
// names. Flagger has no such package: its two kinds get the required-field
// check of its docs (docs/gitbook/usage/metrics.md, how-it-works.md) below.
//   node validate_manifests.mjs NODE_MODULES_DIR PATH...
// Exit 0 all valid, 1 some invalid, 77 the packages are missing (SKIPPED).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, ...inputs] = process.argv.slice(2);
const SKIP = 77;
if (!nodeModules || inputs.length === 0) {
  console.error("usage: node validate_manifests.mjs NODE_MODULES_DIR PATH...");
  process.exit(2);
}
const need = ["kubernetes-models", "@kubernetes-models/istio", "@kubernetes-models/gateway-api",
  "@kubernetes-models/argo-rollouts", "yaml"];
for (const p of need) {
  if (!fs.existsSync(path.join(nodeModules, p, "package.json"))) {
    console.log(`SKIPPED: npm package ${p} not in ${nodeModules} (scripts/install-npm-deps.sh installs it)`);
    process.exit(SKIP);
  }
}
const YAML = await import(pathToFileURL(path.join(nodeModules, "yaml", "dist", "index.js")).href);

// apiVersion group -> the package folder that models it.
function modelFile(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  let base;
  if (group === "" ) base = path.join(nodeModules, "kubernetes-models", version);
  else if (group.endsWith(".istio.io")) base = path.join(nodeModules, "@kubernetes-models/istio", group, version);
  else if (group === "gateway.networking.k8s.io") base = path.join(nodeModules, "@kubernetes-models/gateway-api", group, version);
  else if (group === "argoproj.io") base = path.join(nodeModules, "@kubernetes-models/argo-rollouts", group, version);
  else if (!group.includes(".") || group.endsWith(".k8s.io")) base = path.join(nodeModules, "kubernetes-models", group, version);
  else return null;
  return path.join(base, `${kind}.js`);
}

// Flagger (flagger.app/v1beta1): the fields its docs mark as required.
function flaggerProblems(doc) {
  const problems = [];
  const spec = doc.spec ?? {};
  if (doc.kind === "MetricTemplate") {
    if (!spec.provider?.type) problems.push("spec.provider.type is required");
    if (spec.provider?.type === "prometheus" && !spec.provider.address) problems.push("spec.provider.address is required");
    if (typeof spec.query !== "string" || !spec.query) problems.push("spec.query is required");
  } else if (doc.kind === "Canary") {
    if (!spec.targetRef?.name || !spec.targetRef?.kind) problems.push("spec.targetRef {kind, name} is required");
    if (!Number.isInteger(spec.service?.port)) problems.push("spec.service.port must be an integer");
    for (const [i, m] of (spec.analysis?.metrics ?? []).entries()) {
      if (!m.name) problems.push(`spec.analysis.metrics[${i}].name is required`);
      if (!m.templateRef?.name) problems.push(`spec.analysis.metrics[${i}].templateRef.name is required`);
      for (const k of ["min", "max"])
        if (m.thresholdRange?.[k] !== undefined && typeof m.thresholdRange[k] !== "number")
          problems.push(`spec.analysis.metrics[${i}].thresholdRange.${k} must be a number`);
    }
  } else {
    problems.push(`no check for flagger kind ${doc.kind}`);
  }
  return problems;
}

function yamlFiles(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return [p];
  return fs.readdirSync(p).sort().flatMap((e) => {
    const full = path.join(p, e);
    if (fs.statSync(full).isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(e) ? [full] : [];
  });
}

const counts = {};
let invalid = 0, documents = 0;
for (const file of inputs.flatMap(yamlFiles)) {
  // YAML 1.1, as kubectl reads it (yes/no/on/off are booleans).
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { version: "1.1" });
  for (const [i, d] of docs.entries()) {
    const where = `${file} document ${i + 1}`;
    if (d.errors.length) { console.log(`INVALID ${where}: ${d.errors[0].message}`); invalid++; continue; }
    const doc = d.toJS();
    if (doc === null || doc === undefined) continue;
    documents++;
    const label = `${doc.apiVersion} ${doc.kind}`;
    counts[label] = (counts[label] ?? 0) + 1;
    if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
      console.log(`INVALID ${where}: apiVersion and kind are required`); invalid++; continue;
    }
    if (doc.apiVersion.startsWith("flagger.app/")) {
      const problems = flaggerProblems(doc);
      if (problems.length) { console.log(`INVALID ${where} (${label}): ${problems.join("; ")}`); invalid++; }
      continue;
    }
    const file_ = modelFile(doc.apiVersion, doc.kind);
    if (!file_ || !fs.existsSync(file_)) { console.log(`INVALID ${where}: no schema for ${label}`); invalid++; continue; }
    const mod = await import(pathToFileURL(file_).href);
    const Model = mod[doc.kind];
    try {
      new Model(doc).validate();
    } catch (e) {
      console.log(`INVALID ${where} (${label} ${doc.metadata?.name}): ${e.message}`);
      invalid++;
    }
  }
}
for (const [label, n] of Object.entries(counts).sort()) console.log(`  ${n} × ${label}`);
console.log(`${documents} documents, ${invalid} invalid`);
process.exit(invalid ? 1 : 0);
