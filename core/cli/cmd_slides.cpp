// boxlab slides ls | check [DECK...] | export DECK --pdf OUT [--notes]
// Rendering needs Qt, which this binary must not link: `export` execs boxlab-slides (gui/slides).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>

#include "boxlab/error.hpp"
#include "boxlab/lab.hpp"
#include "boxlab/slides_check.hpp"
#include "boxlab/sys/process.hpp"
#include "cli.hpp"

namespace boxlab::cli {
namespace {
namespace fsys = std::filesystem;

fsys::path slides_dir(const std::string& dir) {
  return dir.empty() ? slides::find_slides_dir(sys::self_exe()) : fsys::path(dir);
}

// BOXLAB_SLIDES_TOOL, else next to boxlab (installed), libexec, or the build tree's gui/slides.
fsys::path slides_tool() {
  if (const char* env = std::getenv("BOXLAB_SLIDES_TOOL"); env && *env) return env;
  fsys::path bin = sys::self_exe().parent_path();
  std::error_code ec;
  for (const fsys::path& p :
       {bin / "boxlab-slides", bin / ".." / "libexec" / "boxlab" / "boxlab-slides",
        bin / ".." / "gui" / "slides" / "boxlab-slides"})
    if (::access(p.c_str(), X_OK) == 0) return fsys::weakly_canonical(p, ec);
  throw Error("PDF export needs boxlab-slides (the Qt renderer in gui/slides), not found next to " +
              bin.string() +
              ": build it (BOXLAB_GUI=ON, target boxlab-slides) or set BOXLAB_SLIDES_TOOL");
}

std::vector<std::string> verbs_of(CLI::App& app) {
  std::vector<std::string> out;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    out.push_back(sub->get_name());
  return out;
}

}  // namespace

void add_slides_commands(CLI::App& app, const Globals& /*globals*/, int& exit_code) {
  auto* cmd = app.add_subcommand("slides", "Slide decks for instructor-led sessions");
  cmd->require_subcommand(1);
  auto dir = std::make_shared<std::string>();
  cmd->add_option("--dir", *dir, "The slides directory (env BOXLAB_SLIDES_DIR; default: found)");

  cmd->add_subcommand("ls", "List the decks")->callback([dir] {
    std::cout << std::left << std::setw(28) << "DECK" << std::setw(7) << "SLIDES" << std::setw(6)
              << "DEMOS" << std::setw(18) << "LABS"
              << "TITLE\n";
    for (const auto& f : slides::deck_files(slides_dir(*dir))) {
      slides::Deck d = slides::load_deck(f);
      int demos = 0;
      std::vector<std::string> labs;
      for (const auto& s : d.slides) {
        demos += static_cast<int>(s.demos().size());
        for (const auto& l : s.links)
          if (!l.lab.empty() && std::find(labs.begin(), labs.end(), l.lab) == labs.end())
            labs.push_back(l.lab);
      }
      std::sort(labs.begin(), labs.end());
      std::string lab_list;
      for (const auto& l : labs) lab_list += (lab_list.empty() ? "" : ",") + l;
      std::cout << std::setw(28) << d.id << std::setw(7) << d.slides.size() << std::setw(6) << demos
                << std::setw(18) << (lab_list.empty() ? "-" : lab_list) << d.title << "\n";
    }
  });

  auto decks = std::make_shared<std::vector<std::string>>();
  auto* check =
      cmd->add_subcommand("check", "Check decks: lab links, images, slide and note counts");
  check->add_option("deck", *decks, "Decks to check (default: all): 02, namespaces or a file");
  check->callback([&app, &exit_code, dir, decks] {
    fsys::path sdir = slides_dir(*dir);
    std::vector<fsys::path> files;
    if (decks->empty()) files = slides::deck_files(sdir);
    for (const auto& ref : *decks) files.push_back(slides::find_deck(sdir, ref));
    fsys::path labs = lab::find_labs_dir(sys::self_exe());
    slides::CheckOptions opts;
    opts.boxlab_verbs = verbs_of(app);
    std::size_t problems = 0, slide_count = 0;
    for (const auto& f : files) {
      slides::Deck d = slides::load_deck(f);
      slide_count += d.slides.size();
      for (const auto& p : slides::check_deck(d, labs, opts)) {
        std::cout << p.str() << "\n";
        ++problems;
      }
    }
    std::cout << files.size() << " decks, " << slide_count << " slides: "
              << (problems ? std::to_string(problems) + " problems" : std::string("ok")) << "\n";
    if (problems) exit_code = 1;
  });

  struct ExportArgs {
    std::string deck, pdf;
    bool notes = false;
  };
  auto ex = std::make_shared<ExportArgs>();
  auto* exp =
      cmd->add_subcommand("export", "Export a deck to PDF (runs boxlab-slides, no display)");
  exp->add_option("deck", ex->deck, "Deck: 02, namespaces or a file")->required();
  exp->add_option("--pdf", ex->pdf, "The PDF file to write")->required();
  exp->add_flag("--notes", ex->notes, "Add a page of speaker notes after each slide");
  exp->callback([dir, ex] {
    fsys::path deck = slides::find_deck(slides_dir(*dir), ex->deck);
    fsys::path tool = slides_tool();
    // Qt renders offscreen: export works over ssh and in CI, with no display.
    ::setenv("QT_QPA_PLATFORM", "offscreen", 0);
    std::vector<std::string> args = {tool.string(), "export", deck.string(), "--pdf", ex->pdf};
    if (ex->notes) args.push_back("--notes");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::cout.flush();
    ::execv(tool.c_str(), argv.data());
    throw Error("run " + tool.string(), errno);
  });
}

}  // namespace boxlab::cli
