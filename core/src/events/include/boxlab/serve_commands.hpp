// The command names of `boxlab serve`'s protocol (version 1; docs/events.md "serve"), in the
// order `hello` lists them. Plain constants, no Qt and nothing privileged: the engine's command
// table (core/src/serve/commands.cpp) and the GUI's session both spell commands from here (the
// GUI links boxlab-events for them).
#pragma once

namespace boxlab::serve::cmd {

inline constexpr char kHello[] = "hello";
inline constexpr char kRun[] = "run";
inline constexpr char kExec[] = "exec";
inline constexpr char kConsoleInput[] = "console.input";
inline constexpr char kConsoleResize[] = "console.resize";
inline constexpr char kKill[] = "kill";
inline constexpr char kRm[] = "rm";
inline constexpr char kPs[] = "ps";
inline constexpr char kInspect[] = "inspect";
inline constexpr char kMonitor[] = "monitor";
inline constexpr char kImageLs[] = "image.ls";
inline constexpr char kLabLs[] = "lab.ls";
inline constexpr char kLabShow[] = "lab.show";
inline constexpr char kLabOpen[] = "lab.open";
inline constexpr char kLabClose[] = "lab.close";
inline constexpr char kLabCheck[] = "lab.check";
inline constexpr char kLabHint[] = "lab.hint";
inline constexpr char kLabReset[] = "lab.reset";
inline constexpr char kShutdown[] = "shutdown";
inline constexpr char kNetTopology[] = "net.topology";
inline constexpr char kImageLayers[] = "image.layers";
inline constexpr char kHostShell[] = "host.shell";
inline constexpr char kImageImport[] = "image.import";
inline constexpr char kImagePull[] = "image.pull";

}  // namespace boxlab::serve::cmd
