// `boxlab image ...`: build the base image, import, export, list, inspect, history, layers
// and remove images.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "boxlab/container.hpp"
#include "boxlab/container_fs.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/image.hpp"
#include "boxlab/registry.hpp"
#include "boxlab/spec.hpp"
#include "cli.hpp"

namespace boxlab::cli {
namespace {

using nlohmann::json;

// "sha256:0123456789abcdef..." -> "0123456789ab", as `docker images` shows ids.
std::string short_digest(const std::string& digest) {
  auto colon = digest.find(':');
  return digest.substr(colon == std::string::npos ? 0 : colon + 1, 12);
}

std::string human_size(std::uint64_t bytes) {
  return format_bytes(static_cast<double>(bytes), ByteUnits::decimal);
}

json inspect_json(const image::Store& store, const image::Image& img) {
  json layers = json::array();
  for (const auto& l : img.layers)
    layers.push_back({{"digest", l.digest},
                      {"diff_id", l.diff_id},
                      {"media_type", l.media_type},
                      {"size", l.size}});
  json config = json::parse(store.read_blob(img.config_digest), nullptr, false);
  if (config.is_discarded()) throw Error("config " + img.config_digest + ": not JSON");
  return json{{"name", img.name},
              {"digest", img.manifest_digest},
              {"config_digest", img.config_digest},
              {"config", std::move(config)},
              {"layers", std::move(layers)},
              {"keep_setuid", img.keep_setuid}};
}

// --max-size (import, pull): a size such as 10g into `budget`; empty keeps the default.
void parse_budget(const std::string& text, std::uint64_t& budget) {
  if (auto size = spec::parse_size(text)) {
    if (*size <= 0) throw Error("--max-size: must be more than 0");
    budget = static_cast<std::uint64_t>(*size);
  }
}

// "\rimporting: 12.3MB of 100.0MB, 2 layers" on stderr, redrawn in place at most 10 times a
// second, when the user watches a terminal; nothing when the output goes to a pipe or file.
image::ProgressFn progress_line() {
  if (!::isatty(STDOUT_FILENO) || !::isatty(STDERR_FILENO)) return {};
  using Clock = std::chrono::steady_clock;
  return [last = Clock::time_point{}](const image::ImportProgress& p) mutable {
    bool done = p.layers_total != 0;
    auto now = Clock::now();
    if (!done && now - last < std::chrono::milliseconds(100)) return;
    last = now;
    std::string line = "\rimporting: " + human_size(p.bytes_done);
    if (p.bytes_total) line += " of " + human_size(p.bytes_total);
    line += ", " + std::to_string(p.layers_done) +
            (p.layers_total ? " of " + std::to_string(p.layers_total) : "") + " layers";
    std::cerr << line << "\033[K" << (done ? "\n" : "") << std::flush;
  };
}

}  // namespace

void add_image_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  auto* image = app.add_subcommand("image", "Build, list, inspect and remove images");
  image->require_subcommand(1);

  struct BuildOpts {
    std::string busybox = "/bin/busybox";
    std::string name = "base";
  };
  auto build_opts = std::make_shared<BuildOpts>();
  auto* build = image->add_subcommand(
      "build-base", "Build the base image from a static busybox; prints its manifest digest");
  build->add_option("--busybox", build_opts->busybox, "Static busybox binary")
      ->capture_default_str();
  build->add_option("--name", build_opts->name, "Image name (tag)")->capture_default_str();
  build->callback([&globals, &exit_code, build_opts] {
    image::Store store(globals.paths().images);
    auto img = store.build_base(build_opts->busybox, build_opts->name);
    std::cout << img.manifest_digest << '\n';
    exit_code = 0;
  });

  auto* ls = image->add_subcommand("ls", "List images");
  ls->callback([&globals, &exit_code] {
    image::Store store(globals.paths().images);
    std::vector<std::vector<std::string>> rows{{"NAME", "DIGEST", "SIZE", "LAYERS"}};
    for (const auto& img : store.list()) {
      std::uint64_t size = 0;
      for (const auto& l : img.layers) size += l.size;
      rows.push_back({img.name, short_digest(img.manifest_digest), human_size(size),
                      std::to_string(img.layers.size())});
    }
    print_table(rows);
    exit_code = 0;
  });

  auto name = std::make_shared<std::string>();
  auto* inspect = image->add_subcommand(
      "inspect", "Show an image's manifest digest, config and layers as JSON");
  inspect->add_option("NAME", *name, "Image name")->required();
  inspect->callback([&globals, &exit_code, name] {
    image::Store store(globals.paths().images);
    std::cout << inspect_json(store, store.get(*name)).dump(2) << '\n';
    exit_code = 0;
  });

  struct RmOpts {
    std::string name;
    bool force = false;
  };
  auto rm_opts = std::make_shared<RmOpts>();
  auto* rm = image->add_subcommand("rm", "Remove an image and the blobs no other image uses");
  rm->add_option("NAME", rm_opts->name, "Image name")->required();
  rm->add_flag("-f,--force", rm_opts->force, "Remove even when containers use it");
  rm->callback([&globals, &exit_code, rm_opts] {
    // Its layers are the lowerdirs of those containers' overlays: keep them while they exist.
    if (!rm_opts->force) {
      Runtime runtime(globals.paths());
      for (const auto& c : runtime.list())
        if (c.image == rm_opts->name)
          throw Error("image '" + rm_opts->name + "' is used by container '" + c.name +
                      "' (remove it first, or use --force)");
    }
    image::Store store(globals.paths().images);
    store.remove(rm_opts->name);
    exit_code = 0;
  });

  struct ImportOpts {
    std::string source;
    std::string name;
    bool keep_setuid = false;
    std::string events;
    std::string max_size;
  };
  auto import_opts = std::make_shared<ImportOpts>();
  auto* import = image->add_subcommand(
      "import",
      "Import a `docker save` archive or an OCI image layout; prints name and digest. Every "
      "layer is checked and unpacked on the way in: a bad layer fails the import and leaves "
      "nothing in the store");
  import->add_option("SOURCE", import_opts->source, "Archive file or OCI layout directory")
      ->required();
  import->add_option("--name", import_opts->name, "Tag the image with this name");
  import->add_flag("--keep-setuid", import_opts->keep_setuid,
                   "Keep setuid/setgid bits of the image's files (cleared by default)");
  import->add_option("--events", import_opts->events,
                     "Append image.progress events (JSON lines) to this file");
  import->add_option("--max-size", import_opts->max_size,
                     "Budget: the bytes the source's blobs may have together (uncompressed), "
                     "and the files of any one layer (default 4GiB; e.g. 10g)");
  import->callback([&globals, &exit_code, import_opts] {
    image::Store store(globals.paths().images);
  image::ImportOptions options;
  if (!import_opts->name.empty()) options.name = import_opts->name;
  options.keep_setuid = import_opts->keep_setuid;
  parse_budget(import_opts->max_size, options.max_bytes);
  std::optional<events::FileWriter> writer;
  std::optional<image::ProgressEvents> events;
  if (!import_opts->events.empty()) {
    writer.emplace(import_opts->events, events::monotonic_ns());
    events.emplace(import_opts->source,
                   [&writer](const json& body) { writer->emit("image.progress", body); });
  }
  image::ProgressFn line = progress_line();
  if (line || events)
    options.progress = [&](const image::ImportProgress& p) {
      if (line) line(p);
      if (events) events->update(p);
    };
  std::vector<image::Image> images;
  try {
    images = store.import(import_opts->source, options);
  } catch (const std::exception& e) {
    if (events) events->failed(e.what());
    throw;
  }
  if (events) events->done(images);
  for (const auto& img : images) std::cout << img.name << ' ' << img.manifest_digest << '\n';
  exit_code = 0;
});

auto export_args = std::make_shared<std::pair<std::string, std::string>>();
auto* exp = image->add_subcommand("export", "Write an image as an OCI image layout into DIR");
exp->add_option("NAME", export_args->first, "Image name")->required();
exp->add_option("DIR", export_args->second, "New (or empty) directory")->required();
exp->callback([&globals, &exit_code, export_args] {
  image::Store store(globals.paths().images);
  store.export_image(export_args->first, export_args->second);
  exit_code = 0;
});

auto history_name = std::make_shared<std::string>();
auto* history = image->add_subcommand("history", "Show how an image's layers were made");
history->add_option("NAME", *history_name, "Image name")->required();
history->callback([&globals, &exit_code, history_name] {
  image::Store store(globals.paths().images);
  std::vector<std::vector<std::string>> rows{{"LAYER", "CREATED", "SIZE", "CREATED BY"}};
  for (const auto& h : store.history(*history_name)) {
    std::string by = h.created_by.empty() ? h.comment : h.created_by;
    rows.push_back({h.layer ? short_digest(h.layer->digest) : "-", h.created,
                    h.layer ? human_size(h.layer->size) : "0B", by});
  }
  print_table(rows);
  exit_code = 0;
});

struct LayersOpts {
  std::string container;
  std::string path;
  bool json = false;
};
auto layers_opts = std::make_shared<LayersOpts>();
auto* layers = image->add_subcommand(
    "layers", "Show a container's layer stack, and which layer PATH (and its entries) come from");
layers->add_option("CONTAINER", layers_opts->container, "Container name or id")->required();
layers->add_option("PATH", layers_opts->path, "Path inside the container");
layers->add_flag("--json", layers_opts->json, "Print the image.layers event (one JSON line)");
layers->callback([&globals, &exit_code, layers_opts] {
  Runtime runtime(globals.paths());
  std::optional<std::string> path;
  if (!layers_opts->path.empty()) path = layers_opts->path;
  json body = image::container_layers(runtime, layers_opts->container, path);
  if (layers_opts->json) {
    std::cout << events::make("image.layers", 0, body).dump() << '\n';
    exit_code = 0;
    return;
  }
  auto label = [&](const json& index) -> std::string {
    if (index.is_null()) return "-";
    const json& l = body["layers"][index.get<std::size_t>()];
    return std::to_string(index.get<std::size_t>()) + " " +
           (l["kind"] == "upper" ? std::string("upper") : short_digest(l["digest"]));
  };
  std::vector<std::vector<std::string>> rows{{"INDEX", "LAYER", "SIZE"}};
  for (const auto& l : body["layers"])
    rows.push_back(
        {std::to_string(l["index"].get<std::size_t>()),
         l["kind"] == "upper" ? "upper (the container's own)" : l["digest"].get<std::string>(),
         human_size(l["size"].get<std::uint64_t>())});
  print_table(rows);
  // Where the layers live on the host: the learner looks into them (whiteouts, copy-ups).
  std::cout << "\nupper dir: " << body["layers"].back()["dir"].get<std::string>() << '\n';
  if (path) {
    std::cout << '\n'
              << *path << ": "
              << (body["source"].is_null() ? "not present" : "from layer " + label(body["source"]))
              << '\n';
    std::vector<std::vector<std::string>> entries{{"NAME", "TYPE", "LAYER"}};
    for (const auto& e : body["entries"])
      entries.push_back({e["name"], e["type"], label(e["layer"])});
    if (entries.size() > 1) print_table(entries);
  }
  exit_code = 0;
});

// pull and push: the OCI distribution API (core/src/registry, docs/registry.md).
struct RegistryOpts {
  std::string first;   // pull: REF; push: NAME
  std::string second;  // push: REF
  std::string name;    // pull --name
  bool insecure = false;
  std::string auth_file;
  std::string mirror;
  std::string events;    // --events FILE
  std::string max_size;  // pull --max-size
};
auto registry_options = [](const RegistryOpts& o) {
  registry::Options options;
  options.insecure = o.insecure;
  options.auth_file = o.auth_file;
  options.mirror = o.mirror;
  if (const char* env = std::getenv("BOXLAB_REGISTRY_MIRROR"); env && o.mirror.empty())
    options.mirror = env;
  // One line per blob on a terminal, redrawn in place; nothing in a pipe.
  if (::isatty(STDERR_FILENO))
    options.progress = [](const std::string& line) { std::cerr << "\r" << line << "\033[K"; };
  return options;
};
auto add_registry_flags = [](CLI::App* cmd, RegistryOpts& o) {
  cmd->add_flag("--insecure", o.insecure, "Plain HTTP (only for a registry on the loopback)");
  cmd->add_option("--auth-file", o.auth_file,
                  "Docker-like config.json with credentials (default $DOCKER_CONFIG/config.json "
                  "or ~/.docker/config.json)");
  cmd->add_option("--mirror", o.mirror,
                  "Registry short names resolve through (or $BOXLAB_REGISTRY_MIRROR)");
};
auto pull_opts = std::make_shared<RegistryOpts>();
auto* pull = image->add_subcommand(
    "pull", "Pull an image from a registry (linux/amd64); prints name and digest");
pull->add_option("REF", pull_opts->first, "alpine, library/alpine:3.19, host:port/repo@sha256:...")
    ->required();
pull->add_option("--name", pull_opts->name, "Tag the image with this name (default: REF)");
pull->add_option("--events", pull_opts->events,
                 "Append image.progress events (JSON lines) to this file");
pull->add_option("--max-size", pull_opts->max_size,
                 "Budget: the bytes the image's blobs may have together, as its manifest "
                 "gives them, checked before any is fetched (default 4GiB; e.g. 10g)");
add_registry_flags(pull, *pull_opts);
pull->callback([&globals, &exit_code, pull_opts, registry_options] {
  image::Store store(globals.paths().images);
  auto options = registry_options(*pull_opts);
  parse_budget(pull_opts->max_size, options.max_bytes);
  std::optional<std::string> name;
  if (!pull_opts->name.empty()) name = pull_opts->name;
  std::optional<events::FileWriter> writer;
  std::optional<image::ProgressEvents> events;
  if (!pull_opts->events.empty()) {
    writer.emplace(pull_opts->events, events::monotonic_ns());
    events.emplace(pull_opts->first,
                   [&writer](const json& body) { writer->emit("image.progress", body); });
    options.on_progress = [&events](const image::ImportProgress& p) { events->update(p); };
  }
  image::Image img;
  try {
    img = registry::pull(store, pull_opts->first, options, name);
  } catch (const std::exception& e) {
    if (events) events->failed(e.what());
    throw;
  }
  if (events) events->done({img});
  if (options.progress) std::cerr << "\r\033[K";
  std::cout << img.name << ' ' << img.manifest_digest << '\n';
  exit_code = 0;
});
auto push_opts = std::make_shared<RegistryOpts>();
auto* push = image->add_subcommand("push", "Push an image to a registry; prints its digest");
push->add_option("NAME", push_opts->first, "Image name")->required();
push->add_option("REF", push_opts->second, "host:port/repo[:tag]")->required();
push->add_option("--events", push_opts->events,
                 "Append image.progress events (JSON lines; source: NAME) to this file");
add_registry_flags(push, *push_opts);
push->callback([&globals, &exit_code, push_opts, registry_options] {
  image::Store store(globals.paths().images);
  auto options = registry_options(*push_opts);
  std::optional<events::FileWriter> writer;
  std::optional<image::ProgressEvents> events;
  if (!push_opts->events.empty()) {
    writer.emplace(push_opts->events, events::monotonic_ns());
    events.emplace(push_opts->first,
                   [&writer](const json& body) { writer->emit("image.progress", body); });
    options.on_progress = [&events](const image::ImportProgress& p) { events->update(p); };
  }
  std::string digest;
  try {
    digest = registry::push(store, push_opts->first, push_opts->second, options);
  } catch (const std::exception& e) {
    if (events) events->failed(e.what());
    throw;
  }
  if (events) events->done({store.get(push_opts->first)});
  if (options.progress) std::cerr << "\r\033[K";
  std::cout << digest << '\n';
  exit_code = 0;
});
}  // namespace boxlab::cli

}  // namespace boxlab::cli
