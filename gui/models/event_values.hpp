// Value snapshots of the boxlab event stream (docs/events.md): what the stream parser hands to
// models. Plain values, copied freely across signals; no JSON and no process handles.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>
#include <optional>

namespace boxlab::gui {

struct EventHeader {
  qint64 t = 0;     // ns since the stream's origin
  QString backend;  // "real" or "sim" ("" when absent)
};

struct ContainerStateEvent {
  EventHeader header;
  QString id;
  QString name;
  QString status;  // created running paused stopped removed
  qint64 pid = 0;
  std::optional<int> exitCode;
};

struct ProcessValue {
  qint64 pid = 0;
  qint64 ppid = 0;
  QVector<qint64> nspid;  // host first, inner-most last
  QString comm;
  QString args;  // the command line, arguments joined by spaces ("" when not reported)
  QChar state = QLatin1Char('?');
  qint64 uid = -1;
  int threads = 1;
  QHash<QString, quint64> ns;  // kind ("pid", "mount", ..) -> inode
};

struct ProcTreeEvent {
  EventHeader header;
  QString container;
  qint64 root = 0;
  quint64 pidns = 0;
  QString source;
  QVector<ProcessValue> processes;  // sorted by host pid
};

// A cgroup value the kernel does not report, or an unlimited maximum, is nullopt.
using OptI64 = std::optional<qint64>;

struct CgroupStatsEvent {
  EventHeader header;
  QString container;
  bool hasMemory = false, hasPids = false, hasCpu = false;
  OptI64 memCurrent, memMax, memPeak, memOom, memOomKill, memMaxHits;
  OptI64 pidsCurrent, pidsMax, pidsMaxHits;
  OptI64 cpuUsageNs, cpuNrPeriods, cpuNrThrottled, cpuThrottledNs, cpuQuotaUs, cpuPeriodUs;
  bool frozen = false;
};

struct CgroupEventEvent {
  EventHeader header;
  QString container;
  QString event;  // oom oom_kill pids_max (others accepted)
  qint64 count = 0;
};

struct ReplyEvent {
  EventHeader header;
  QJsonValue id;  // null when serve could not read the command's id
  bool ok = false;
  QString error;
  QString code;      // parse unknown_command bad_request failed unavailable
  QJsonObject body;  // the whole reply object (results beside id/ok/error/code)
};

struct ConsoleOutputEvent {
  EventHeader header;
  QString session;
  QByteArray data;  // decoded bytes
};

struct ConsoleClosedEvent {
  EventHeader header;
  QString session;
  std::optional<int> exitCode;
};

struct CheckResultEvent {
  EventHeader header;
  QString lab, step, check, title, kind;
  int stepIndex = 0;
  QString status;  // pass fail error blocked timeout
  QString expected, observed, hint;
  int points = 0;
};

struct LabStepEvent {
  EventHeader header;
  QString lab, step;
  int stepIndex = 0;
  bool passed = false;
  int points = 0, maxPoints = 0;
};

// net.topology (docs/events.md): the whole network picture, no deltas.
struct NetInterface {
  QString name;
  int index = 0;
  QString kind;  // bridge veth "" (loopback, physical)
  bool up = false;
  QString mac;
  QString master;         // the bridge it is enslaved to, or ""
  QStringList addresses;  // IPv4 CIDR
};

struct NetNamespace {
  QString name;       // "host" for the host side, else the container's name
  QString container;  // "" for the host side
  qint64 pid = 0;
  QString network;  // "" for --net none and the host side
  quint64 inode = 0;
  QVector<NetInterface> interfaces;
};

struct NetBridge {
  QString name, network;
  bool present = false, up = false;
  QStringList addresses, ports;
};

struct NetVethPair {
  QString host, bridge, container, containerIf;
  bool present = false;
};

struct NetPort {
  int host = 0, container = 0;
  QString protocol, containerName, address;
  qint64 proxyPid = 0;
  bool proxyRunning = false;
};

struct NetNetwork {
  QString name, subnet, gateway, bridge;
};

struct NetTopologyEvent {
  EventHeader header;
  quint64 hostInode = 0;
  QString hostPath;
  QVector<NetNetwork> networks;
  QVector<NetBridge> bridges;
  QVector<NetNamespace> namespaces;  // the host side first
  QVector<NetVethPair> vethPairs;
  QVector<NetPort> ports;
};

// image.layers: a container's layer stack, bottom first, its upper dir last.
struct ImageLayer {
  int index = 0;
  QString kind;  // image upper
  QString digest, diffId, mediaType;
  qint64 size = 0;
  QString dir;             // host directory, when serve could read the container's overlay mount
  bool simulated = false;  // the simulator's: not read from an image store (no digest, size)
};

struct ImageLayerEntry {
  QString name;
  int layer = 0;
  QString type;  // dir file symlink other
};

struct ImageLayersEvent {
  EventHeader header;
  QString container, image, imageDigest;
  QVector<ImageLayer> layers;
  bool simulated = false;     // the simulator's stack, not an image store's
  QString path;               // "" when none was asked about
  std::optional<int> source;  // the layer `path` comes from; nullopt: not there
  QVector<ImageLayerEntry> entries;
};

struct LogEvent {
  EventHeader header;
  QString level, message;
};

// image.progress: how far one image import got (docs/events.md).
struct ImportedImage {
  QString name, digest;
  int layers = 0;
};

struct ImageProgressEvent {
  EventHeader header;
  QString source;  // as the import was given it
  QString phase;   // read done failed
  qint64 bytesDone = 0;
  std::optional<qint64> bytesTotal;  // unknown while a layout dir is read
  int layersDone = 0;
  std::optional<int> layersTotal;  // known at `done`
  QVector<ImportedImage> images;   // `done` only
  QString error;                   // `failed` only
};

// container.security: how a container's first process is confined (docs/events.md).
struct CapabilitySet {
  bool known = false;  // the kernel reported it
  QString mask;        // 16 hex digits, as /proc/PID/status
  QStringList names;   // CAP_CHOWN ...
  bool operator==(const CapabilitySet&) const = default;
};

struct DeviceRuleValue {
  bool allow = true;
  QString rule;    // "c 1:3 rwm"
  QString device;  // "/dev/null", "every device", "" (no well-known name)
  bool operator==(const DeviceRuleValue&) const = default;
};

struct SecurityEvent {
  EventHeader header;
  QString container;
  qint64 pid = 0;
  bool privileged = false;
  int lastCap = -1;
  QStringList allCaps;  // every capability the kernel knows, in number order
  bool capsFromSpec = true;
  CapabilitySet inheritable, permitted, effective, bounding, ambient;
  std::optional<int> seccompMode, seccompFilters;
  QString seccompModeName, profile, profileDescription, defaultAction;
  int profileSyscalls = 0;
  std::optional<bool> noNewPrivs;
  QString devicesSource;  // cgroup-v1 spec-v2 none unavailable
  bool devicesAllowAll = false;
  QVector<DeviceRuleValue> devices;
};

// A line that is not an event of schema 1: its number in the stream, its text (shortened) and
// the reason.
struct MalformedLine {
  qint64 lineNumber = 0;
  QString text;
  QString reason;
};

}  // namespace boxlab::gui

Q_DECLARE_METATYPE(boxlab::gui::ContainerStateEvent)
Q_DECLARE_METATYPE(boxlab::gui::ProcTreeEvent)
Q_DECLARE_METATYPE(boxlab::gui::CgroupStatsEvent)
Q_DECLARE_METATYPE(boxlab::gui::CgroupEventEvent)
Q_DECLARE_METATYPE(boxlab::gui::ReplyEvent)
Q_DECLARE_METATYPE(boxlab::gui::ConsoleOutputEvent)
Q_DECLARE_METATYPE(boxlab::gui::ConsoleClosedEvent)
Q_DECLARE_METATYPE(boxlab::gui::CheckResultEvent)
Q_DECLARE_METATYPE(boxlab::gui::LabStepEvent)
Q_DECLARE_METATYPE(boxlab::gui::LogEvent)
Q_DECLARE_METATYPE(boxlab::gui::NetTopologyEvent)
Q_DECLARE_METATYPE(boxlab::gui::ImageLayersEvent)
Q_DECLARE_METATYPE(boxlab::gui::ImageProgressEvent)
Q_DECLARE_METATYPE(boxlab::gui::SecurityEvent)
Q_DECLARE_METATYPE(boxlab::gui::MalformedLine)
