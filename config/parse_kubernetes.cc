// apps/v1 Deployment and v1 Service: the fields that shape the mesh
// (labels, replicas, service account, ports, selector). DeploymentSpec and
// ServiceSpec keys are checked strictly; inside the pod template only the
// fields meshsim reads are looked at, since a PodSpec has dozens of fields
// (resources, env, volumes…) that change nothing in the mesh.
#include "config/parse.h"

namespace meshsim::config {

void parse_deployment(YamlReader& r, const yaml::Node& doc, proxy::Deployment& out) {
  const yaml::Node spec = doc["spec"];
  if (!spec) {
    r.error(doc, "", "a Deployment needs a spec");
    return;
  }
  if (!r.fields(spec, "spec", {"minReadySeconds", "paused", "progressDeadlineSeconds", "replicas",
                               "revisionHistoryLimit", "selector", "strategy", "template"}))
    return;
  out.replicas = static_cast<int>(r.integer(spec["replicas"], "spec.replicas", 0, 10000).value_or(1));
  if (auto sel = spec["selector"]; sel && r.fields(sel, "spec.selector", {"matchLabels", "matchExpressions"}))
    out.selector = r.str_map(sel["matchLabels"], "spec.selector.matchLabels");
  const yaml::Node tmpl = spec["template"];
  if (!tmpl || !r.fields(tmpl, "spec.template", {"metadata", "spec"})) {
    if (!tmpl) r.error(spec, "spec", "a Deployment needs spec.template");
    return;
  }
  if (auto md = tmpl["metadata"]; md && r.is_map(md, "spec.template.metadata"))
  {
    out.pod_labels = r.str_map(md["labels"], "spec.template.metadata.labels");
    out.pod_annotations = r.str_map(md["annotations"], "spec.template.metadata.annotations");
  }
  for (auto& [k, v] : out.selector) {
    auto it = out.pod_labels.find(k);
    if (it == out.pod_labels.end() || it->second != v)
      r.error(spec["selector"], "spec.selector",
              "selector " + k + "=" + v + " does not match the template labels (Kubernetes rejects this)");
  }
  const yaml::Node pod = tmpl["spec"];
  if (!pod || !r.is_map(pod, "spec.template.spec")) return;
  if (auto sa = r.str(pod["serviceAccountName"], "spec.template.spec.serviceAccountName")) out.service_account = *sa;
  else if (auto sa2 = r.str(pod["serviceAccount"], "spec.template.spec.serviceAccount")) out.service_account = *sa2;
  r.list(pod["containers"], "spec.template.spec.containers", [&](const yaml::Node& c, const std::string& cp) {
    if (!c.IsMap()) return;
    r.list(c["ports"], child(cp, "ports"), [&](const yaml::Node& p, const std::string& pp) {
      if (!p.IsMap()) return;
      proxy::ContainerPort port;
      port.container_port = r.port(p["containerPort"], child(pp, "containerPort")).value_or(0);
      port.name = r.str(p["name"], child(pp, "name")).value_or("");
      out.ports.push_back(port);
    });
  });
}

void parse_service(YamlReader& r, const yaml::Node& doc, proxy::Service& out) {
  const yaml::Node spec = doc["spec"];
  if (!spec) return;
  if (!r.fields(spec, "spec",
                {"allocateLoadBalancerNodePorts", "clusterIP", "clusterIPs", "externalIPs", "externalName",
                 "externalTrafficPolicy", "healthCheckNodePort", "internalTrafficPolicy", "ipFamilies",
                 "ipFamilyPolicy", "loadBalancerClass", "loadBalancerIP", "loadBalancerSourceRanges", "ports",
                 "publishNotReadyAddresses", "selector", "sessionAffinity", "sessionAffinityConfig",
                 "trafficDistribution", "type"}))
    return;
  out.selector = r.str_map(spec["selector"], "spec.selector");
  out.headless = r.str(spec["clusterIP"], "spec.clusterIP").value_or("") == "None";
  out.type = r.enumeration(spec["type"], "spec.type", {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"})
                 .value_or("ClusterIP");
  r.list(spec["ports"], "spec.ports", [&](const yaml::Node& p, const std::string& pp) {
    if (!r.fields(p, pp, {"appProtocol", "name", "nodePort", "port", "protocol", "targetPort"})) return;
    proxy::ServicePort port;
    port.name = r.str(p["name"], child(pp, "name")).value_or("");
    if (auto n = r.port(p["port"], child(pp, "port"))) port.port = *n;
    else if (!p["port"]) r.error(p, pp, "a Service port needs port");
    port.protocol = r.enumeration(p["protocol"], child(pp, "protocol"), {"TCP", "UDP", "SCTP"}).value_or("TCP");
    port.app_protocol = r.str(p["appProtocol"], child(pp, "appProtocol")).value_or("");
    if (auto t = p["targetPort"]; t && t.IsScalar()) {
      const std::string& s = t.Scalar();
      bool numeric = !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
      if (numeric) port.target_port = r.port(t, child(pp, "targetPort")).value_or(0);
      else port.target_port = s;  // a named container port
      r.record(t, child(pp, "targetPort"));
    }
    r.integer(p["nodePort"], child(pp, "nodePort"), 1, 65535);
    out.ports.push_back(port);
  });
}

}  // namespace meshsim::config
