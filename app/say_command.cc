// `meshsim say "SENTENCE" [-f FILE...]`: what a plain-word command would do,
// as the assistant's answer and the exact Istio YAML. Changes nothing; the
// same sentences work as `say:` steps in a scenario timeline. Sentences are
// read as intents with slots (README, "meshsim say: what it understands");
// with -f the services and versions are checked against those files.
#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "config/loader.h"
#include "config/say.h"

namespace meshsim::app {

int say_command(int argc, char** argv) {
  cxxopts::Options options("meshsim say", "Translate a plain-word mesh command into Istio resources.");
  options.add_options()
      ("f,file", "mesh files (to check service names and versions, and name the callers of a service)",
       cxxopts::value<std::vector<std::string>>())
      ("h,help", "show this help")
      ("sentence", "the command, e.g. \"route mobile traffic to bar v2\"", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"sentence"});
  options.positional_help("SENTENCE");
  auto args = options.parse(argc, argv);
  if (args.count("help") || !args.count("sentence")) {
    fmt::print("{}\nexamples (synonyms, shares, durations, headers and callers in other words work too):\n", options.help());
    for (const auto& p : config::say_phrasings()) fmt::print("  {}\n", p);
    return args.count("help") ? kExitOk : kExitBadInput;
  }
  std::string sentence;
  for (const auto& word : args["sentence"].as<std::vector<std::string>>()) sentence += (sentence.empty() ? "" : " ") + word;
  config::LoadResult loaded;
  if (args.count("file")) {
    std::vector<config::Diagnostic> diagnostics;
    loaded = config::load(config::read_sources(args["file"].as<std::vector<std::string>>(), diagnostics));
  }
  auto said = config::interpret_say(sentence, loaded.resources, loaded.behaviors);
  if (!said.understood) {
    fmt::print("{}\nclosest phrasings:\n", said.reply);
    for (const auto& s : said.suggestions) fmt::print("  {}\n", s);
    return kExitBadInput;
  }
  fmt::print("{}\n", said.reply);
  if (!said.yaml.empty()) fmt::print("\n# kubectl apply -f - <<EOF\n{}# EOF\n", said.yaml);
  for (const auto& key : said.delete_keys) fmt::print("# kubectl delete {}\n", key);
  return kExitOk;
}

}  // namespace meshsim::app
