#include "cli/manual.h"

#include <CLI/CLI.hpp>

#include <cctype>

namespace voxcache::cli {
namespace {

// Text roff prints as given: backslashes escaped, a leading . or ' made
// literal, hyphens as minus signs where they belong to options ("--json").
std::string roff(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-' && (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1])))) {
      out += "\\-";  // an option's dash, not a word's hyphen
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool is_flag(const CLI::Option* o) { return o->get_items_expected_max() == 0; }

bool repeats(const CLI::Option* o) { return o->get_items_expected_max() > 1; }

// A .TP paragraph per option of `cmd` (positionals too, by their name).
void option_list(CLI::App* cmd, std::string* out) {
  for (const CLI::Option* o : cmd->get_options()) {
    if (o->get_group().empty() || o->get_name() == "--help") continue;
    std::string tag;
    if (o->nonpositional()) {
      tag = "\\fB" + roff(o->get_name(false, true)) + "\\fR";
      if (!is_flag(o)) tag += " \\fI" + roff(o->get_type_name()) + "\\fR";
      if (repeats(o)) tag += " (repeatable)";
    } else {
      tag = "\\fI" + upper(o->get_name(true)) + "\\fR";
    }
    *out += ".TP\n" + tag + "\n" + roff(o->get_description()) + "\n";
  }
}

void section(CLI::App* cmd, const std::string& name, std::string* out) {
  std::string synopsis = "\\fB" + roff(name) + "\\fR";
  bool has_options = false;
  for (const CLI::Option* o : cmd->get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    if (o->nonpositional()) {
      if (o->get_name() != "--help") has_options = true;
      continue;
    }
    std::string arg = "\\fI" + upper(o->get_name(true)) + "\\fR" + (repeats(o) ? "..." : "");
    synopsis += " " + (o->get_required() ? arg : "[" + arg + "]");
  }
  if (has_options) synopsis += " [\\fIOPTIONS\\fR]";
  *out +=
      ".SS \"" + roff(name) + "\"\n" + synopsis + "\n.br\n" + roff(cmd->get_description()) + "\n";
  const std::string footer = cmd->get_footer();
  if (!footer.empty()) *out += ".PP\n" + roff(footer) + "\n";
  option_list(cmd, out);
}

}  // namespace

std::string manual_commands(CLI::App* app) {
  std::string out = ".SH OPTIONS\nThese come before or after the command.\n";
  option_list(app, &out);
  out += ".SH COMMANDS\n";
  for (CLI::App* cmd : app->get_subcommands([](CLI::App*) { return true; })) {
    if (cmd->get_name() == "help") continue;
    const std::vector<CLI::App*> subs = cmd->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) {
      section(cmd, "voxcache " + cmd->get_name(), &out);
      continue;
    }
    for (CLI::App* sub : subs) {
      section(sub, "voxcache " + cmd->get_name() + " " + sub->get_name(), &out);
    }
  }
  return out;
}

}  // namespace voxcache::cli
