// `boxlab`: parse, call core, print. Errors print on one line and exit non-zero.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "boxlab/error.hpp"
#include "cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"boxlab: a container runtime for learning how containers work"};
  app.set_version_flag("--version", std::string("boxlab ") + BOXLAB_VERSION);
  app.require_subcommand(1);
  boxlab::cli::Globals globals;
  app.add_option("--root", globals.root, "Keep state and images under DIR (env BOXLAB_ROOT)")
      ->envname("BOXLAB_ROOT");
  int exit_code = 0;
  boxlab::cli::add_container_commands(app, globals, exit_code);
  boxlab::cli::add_image_commands(app, globals, exit_code);
  boxlab::cli::add_oci_commands(app, globals, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "boxlab: " << e.what() << " (see boxlab --help)\n";
    return 2;
  } catch (const boxlab::Error& e) {
    std::cerr << "boxlab: " << e.what() << "\n";
    return exit_code != 0 ? exit_code : 1;
  } catch (const std::exception& e) {
    std::cerr << "boxlab: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
