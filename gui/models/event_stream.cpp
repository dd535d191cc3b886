// core's header before any Qt one: it uses `signals` as a name, which Qt defines as a macro.
#include "boxlab/event_parse.hpp"
// (separate block)
#include <QJsonDocument>

#include "event_stream.hpp"

namespace boxlab::gui {

namespace {

using nlohmann::json;

QString str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? QString::fromStdString(it->get<std::string>())
                                          : QString();
}

std::optional<qint64> i64(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) return static_cast<qint64>(it->get<std::uint64_t>());
  return it->get<std::int64_t>();
}

bool flag(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

QStringList strings(const json& j, const char* key) {
  QStringList out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out << QString::fromStdString(v.get<std::string>());
  return out;
}

// The array at `key` (an empty one when absent): parse_event checked the shapes it knows.
const json& array(const json& j, const char* key) {
  static const json empty = json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

NetTopologyEvent toTopology(const json& j) {
  NetTopologyEvent e;
  if (auto h = j.find("hostNetns"); h != j.end() && h->is_object()) {
    e.hostInode = static_cast<quint64>(i64(*h, "inode").value_or(0));
    e.hostPath = str(*h, "path");
  }
  for (const auto& n : array(j, "networks"))
    if (n.is_object())
      e.networks.push_back({str(n, "name"), str(n, "subnet"), str(n, "gateway"), str(n, "bridge")});
  for (const auto& b : array(j, "bridges"))
    if (b.is_object())
      e.bridges.push_back({str(b, "name"), str(b, "network"), flag(b, "present"), flag(b, "up"),
                           strings(b, "addresses"), strings(b, "ports")});
  for (const auto& n : array(j, "namespaces")) {
    if (!n.is_object()) continue;
    NetNamespace ns;
    ns.name = str(n, "name");
    ns.container = str(n, "container");
    ns.pid = i64(n, "pid").value_or(0);
    ns.network = str(n, "network");
    ns.inode = static_cast<quint64>(i64(n, "inode").value_or(0));
    for (const auto& i : array(n, "interfaces"))
      if (i.is_object())
        ns.interfaces.push_back({str(i, "name"), static_cast<int>(i64(i, "index").value_or(0)),
                                 str(i, "kind"), flag(i, "up"), str(i, "mac"), str(i, "master"),
                                 strings(i, "addresses")});
    e.namespaces.push_back(std::move(ns));
  }
  for (const auto& v : array(j, "vethPairs"))
    if (v.is_object())
      e.vethPairs.push_back({str(v, "host"), str(v, "bridge"), str(v, "container"),
                             str(v, "containerIf"), flag(v, "present")});
  for (const auto& p : array(j, "ports"))
    if (p.is_object())
      e.ports.push_back({static_cast<int>(i64(p, "host").value_or(0)),
                         static_cast<int>(i64(p, "container").value_or(0)), str(p, "protocol"),
                         str(p, "containerName"), str(p, "address"), i64(p, "proxyPid").value_or(0),
                         flag(p, "proxyRunning")});
  return e;
}

ImageLayersEvent toLayers(const json& j) {
  ImageLayersEvent e;
  e.container = str(j, "container");
  e.image = str(j, "image");
  e.imageDigest = str(j, "imageDigest");
  e.simulated = flag(j, "simulated");
  for (const auto& l : array(j, "layers"))
    e.layers.push_back({static_cast<int>(i64(l, "index").value_or(0)), str(l, "kind"),
                        str(l, "digest"), str(l, "diffId"), str(l, "mediaType"),
                        i64(l, "size").value_or(0), str(l, "dir"), flag(l, "simulated")});
  e.path = str(j, "path");
  if (auto s = i64(j, "source")) e.source = static_cast<int>(*s);
  for (const auto& en : array(j, "entries"))
    if (en.is_object())
      e.entries.push_back(
          {str(en, "name"), static_cast<int>(i64(en, "layer").value_or(0)), str(en, "type")});
  return e;
}

ImageProgressEvent toImageProgress(const json& j) {
  ImageProgressEvent e;
  e.source = str(j, "source");
  e.phase = str(j, "phase");
  e.bytesDone = i64(j, "bytesDone").value_or(0);
  e.bytesTotal = i64(j, "bytesTotal");
  e.layersDone = static_cast<int>(i64(j, "layersDone").value_or(0));
  if (auto total = i64(j, "layersTotal")) e.layersTotal = static_cast<int>(*total);
  for (const auto& img : array(j, "images"))
    if (img.is_object())
      e.images.push_back(
          {str(img, "name"), str(img, "digest"), static_cast<int>(i64(img, "layers").value_or(0))});
  e.error = str(j, "error");
  return e;
}

CapabilitySet toCapSet(const json& caps, const char* key) {
  CapabilitySet set;
  auto it = caps.find(key);
  if (it == caps.end() || !it->is_object()) return set;
  set.known = true;
  set.mask = str(*it, "mask");
  set.names = strings(*it, "names");
  return set;
}

SecurityEvent toSecurity(const json& j) {
  SecurityEvent e;
  e.container = str(j, "container");
  e.pid = i64(j, "pid").value_or(0);
  e.privileged = flag(j, "privileged");
  static const json none = json::object();
  auto object = [&](const char* key) -> const json& {
    auto it = j.find(key);
    return it != j.end() && it->is_object() ? *it : none;
  };
  const json& caps = object("capabilities");
  e.lastCap = static_cast<int>(i64(caps, "lastCap").value_or(-1));
  e.allCaps = strings(caps, "all");
  e.capsFromSpec = !caps.contains("fromSpec") || flag(caps, "fromSpec");
  e.inheritable = toCapSet(caps, "inheritable");
  e.permitted = toCapSet(caps, "permitted");
  e.effective = toCapSet(caps, "effective");
  e.bounding = toCapSet(caps, "bounding");
  e.ambient = toCapSet(caps, "ambient");
  const json& sc = object("seccomp");
  if (auto m = i64(sc, "mode")) e.seccompMode = static_cast<int>(*m);
  if (auto f = i64(sc, "filters")) e.seccompFilters = static_cast<int>(*f);
  e.seccompModeName = str(sc, "modeName");
  e.profile = str(sc, "profile");
  e.profileDescription = str(sc, "description");
  e.defaultAction = str(sc, "defaultAction");
  e.profileSyscalls = static_cast<int>(i64(sc, "syscalls").value_or(0));
  if (auto n = j.find("noNewPrivs"); n != j.end() && n->is_boolean()) e.noNewPrivs = n->get<bool>();
  const json& dev = object("devices");
  e.devicesSource = str(dev, "source");
  e.devicesAllowAll = flag(dev, "allowAll");
  for (const auto& r : array(dev, "rules"))
    if (r.is_object()) e.devices.push_back({flag(r, "allow"), str(r, "rule"), str(r, "device")});
  return e;
}

ProcessValue toProcess(const json& p) {
  ProcessValue v;
  v.pid = i64(p, "pid").value_or(0);
  v.ppid = i64(p, "ppid").value_or(0);
  for (const auto& n : p["nspid"]) v.nspid.push_back(n.get<std::int64_t>());
  v.comm = str(p, "comm");
  v.args = str(p, "args");
  QString state = str(p, "state");
  v.state = state.isEmpty() ? QLatin1Char('?') : state.front();
  v.uid = i64(p, "uid").value_or(-1);
  v.threads = static_cast<int>(i64(p, "threads").value_or(1));
  auto ns = p.find("ns");
  if (ns != p.end() && ns->is_object())
    for (auto it = ns->begin(); it != ns->end(); ++it)
      if (it->is_number_integer())
        v.ns.insert(QString::fromStdString(it.key()), it->get<std::uint64_t>());
  return v;
}

CgroupStatsEvent toStats(const json& j) {
  CgroupStatsEvent s;
  s.container = str(j, "container");
  if (auto m = j.find("memory"); m != j.end() && m->is_object()) {
    s.hasMemory = true;
    s.memCurrent = i64(*m, "current");
    s.memMax = i64(*m, "max");
    s.memPeak = i64(*m, "peak");
    s.memOom = i64(*m, "oom");
    s.memOomKill = i64(*m, "oom_kill");
    s.memMaxHits = i64(*m, "max_hits");
  }
  if (auto p = j.find("pids"); p != j.end() && p->is_object()) {
    s.hasPids = true;
    s.pidsCurrent = i64(*p, "current");
    s.pidsMax = i64(*p, "max");
    s.pidsMaxHits = i64(*p, "max_hits");
  }
  if (auto c = j.find("cpu"); c != j.end() && c->is_object()) {
    s.hasCpu = true;
    s.cpuUsageNs = i64(*c, "usage_ns");
    s.cpuNrPeriods = i64(*c, "nr_periods");
    s.cpuNrThrottled = i64(*c, "nr_throttled");
    s.cpuThrottledNs = i64(*c, "throttled_ns");
    s.cpuQuotaUs = i64(*c, "quota_us");
    s.cpuPeriodUs = i64(*c, "period_us");
  }
  if (auto f = j.find("frozen"); f != j.end() && f->is_boolean()) s.frozen = f->get<bool>();
  return s;
}

}  // namespace

EventStream::EventStream(QObject* parent) : QObject(parent) {
  static const bool registered = [] {
    qRegisterMetaType<ContainerStateEvent>();
    qRegisterMetaType<ProcTreeEvent>();
    qRegisterMetaType<CgroupStatsEvent>();
    qRegisterMetaType<CgroupEventEvent>();
    qRegisterMetaType<ReplyEvent>();
    qRegisterMetaType<ConsoleOutputEvent>();
    qRegisterMetaType<ConsoleClosedEvent>();
    qRegisterMetaType<CheckResultEvent>();
    qRegisterMetaType<LabStepEvent>();
    qRegisterMetaType<LogEvent>();
    qRegisterMetaType<NetTopologyEvent>();
    qRegisterMetaType<ImageLayersEvent>();
    qRegisterMetaType<SecurityEvent>();
    qRegisterMetaType<MalformedLine>();
    return true;
  }();
  Q_UNUSED(registered);
}

void EventStream::feed(const QByteArray& bytes) {
  qsizetype start = 0;
  while (start < bytes.size()) {
    qsizetype nl = bytes.indexOf('\n', start);
    if (nl < 0) {
      if (!skipping_) buffer_.append(bytes.constData() + start, bytes.size() - start);
      if (buffer_.size() > kMaxLineBytes) {
        ++lines_;
        reportMalformed(std::string_view(buffer_.constData(), 200),
                        QStringLiteral("line longer than %1 bytes, skipped").arg(kMaxLineBytes));
        buffer_.clear();
        skipping_ = true;
      }
      return;
    }
    if (skipping_) {
      skipping_ = false;
    } else if (buffer_.isEmpty()) {
      feedLine(std::string_view(bytes.constData() + start, nl - start));
    } else {
      buffer_.append(bytes.constData() + start, nl - start);
      QByteArray line;
      line.swap(buffer_);
      feedLine(std::string_view(line.constData(), line.size()));
    }
    start = nl + 1;
  }
}

void EventStream::finish() {
  if (!buffer_.isEmpty() && !skipping_) {
    QByteArray line;
    line.swap(buffer_);
    feedLine(std::string_view(line.constData(), line.size()));
  }
  buffer_.clear();
  skipping_ = false;
}

void EventStream::reportMalformed(std::string_view line, const QString& reason) {
  ++malformed_;
  MalformedLine m;
  m.lineNumber = lines_;
  m.text = QString::fromUtf8(line.data(), qsizetype(std::min<std::size_t>(line.size(), 200)));
  m.reason = reason;
  emit malformed(m);
}

void EventStream::feedLine(std::string_view line) {
  ++lines_;
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.empty()) return;  // blank lines carry nothing
  std::string error;
  auto parsed = events::parse_event(line, &error);
  if (!parsed) return reportMalformed(line, QString::fromStdString(error));
  const json& j = parsed->body;
  EventHeader h{parsed->t, QString::fromStdString(parsed->backend)};
  if (!h.backend.isEmpty() && h.backend != backend_) {
    backend_ = h.backend;
    emit backendSeen(backend_);
  }
  const std::string& type = parsed->type;
  // parse_event validated the required fields of every known type; the conversions below
  // only read them.
  try {
    if (type == "container.state") {
      ContainerStateEvent e{
          h,           str(j, "id"), str(j, "name"), str(j, "status"), i64(j, "pid").value_or(0),
          std::nullopt};
      if (auto code = i64(j, "exitCode")) e.exitCode = static_cast<int>(*code);
      emit containerState(e);
    } else if (type == "proc.tree") {
      ProcTreeEvent e;
      e.header = h;
      e.container = str(j, "container");
      e.root = i64(j, "root").value_or(0);
      e.pidns = static_cast<quint64>(i64(j, "pidns").value_or(0));
      e.source = str(j, "source");
      const auto& procs = j["processes"];
      e.processes.reserve(qsizetype(procs.size()));
      for (const auto& p : procs) e.processes.push_back(toProcess(p));
      emit procTree(e);
    } else if (type == "cgroup.stats") {
      CgroupStatsEvent e = toStats(j);
      e.header = h;
      emit cgroupStats(e);
    } else if (type == "cgroup.event") {
      emit cgroupEvent({h, str(j, "container"), str(j, "event"), i64(j, "count").value_or(0)});
    } else if (type == "reply") {
      ReplyEvent e;
      e.header = h;
      e.body = QJsonDocument::fromJson(QByteArray(line.data(), qsizetype(line.size()))).object();
      e.id = e.body.value(QLatin1String("id"));
      e.ok = e.body.value(QLatin1String("ok")).toBool();
      e.error = e.body.value(QLatin1String("error")).toString();
      e.code = e.body.value(QLatin1String("code")).toString();
      emit reply(e);
    } else if (type == "console.output") {
      QByteArray data = QByteArray::fromBase64(QByteArray::fromStdString(j["data"]),
                                               QByteArray::AbortOnBase64DecodingErrors);
      if (data.isNull() && !j["data"].get<std::string>().empty())
        return reportMalformed(line, QStringLiteral("console.output: 'data' is not base64"));
      emit consoleOutput({h, str(j, "session"), data});
    } else if (type == "console.closed") {
      ConsoleClosedEvent e{h, str(j, "session"), std::nullopt};
      if (auto code = i64(j, "exitCode")) e.exitCode = static_cast<int>(*code);
      emit consoleClosed(e);
    } else if (type == "log") {
      emit log({h, str(j, "level"), str(j, "message")});
    } else if (type == "check.result") {
      CheckResultEvent e;
      e.header = h;
      e.lab = str(j, "lab");
      e.step = str(j, "step");
      e.stepIndex = static_cast<int>(i64(j, "stepIndex").value_or(0));
      e.check = str(j, "check");
      e.title = str(j, "title");
      e.kind = str(j, "kind");
      e.status = str(j, "status");
      e.expected = str(j, "expected");
      e.observed = str(j, "observed");
      e.hint = str(j, "hint");
      e.points = static_cast<int>(i64(j, "points").value_or(0));
      emit checkResult(e);
    } else if (type == "lab.step") {
      LabStepEvent e;
      e.header = h;
      e.lab = str(j, "lab");
      e.step = str(j, "step");
      e.stepIndex = static_cast<int>(i64(j, "stepIndex").value_or(0));
      e.passed = flag(j, "passed");
      e.points = static_cast<int>(i64(j, "points").value_or(0));
      e.maxPoints = static_cast<int>(i64(j, "maxPoints").value_or(0));
      emit labStep(e);
    } else if (type == "net.topology") {
      NetTopologyEvent e = toTopology(j);
      e.header = h;
      emit netTopology(e);
    } else if (type == "image.layers") {
      ImageLayersEvent e = toLayers(j);
      e.header = h;
      emit imageLayers(e);
    } else if (type == "container.security") {
      SecurityEvent e = toSecurity(j);
      e.header = h;
      emit containerSecurity(e);
    } else if (type == "image.progress") {
      ImageProgressEvent e = toImageProgress(j);
      e.header = h;
      emit imageProgress(e);
    } else {
      emit unknownEvent(QString::fromStdString(type), h);
    }
  } catch (const std::exception& ex) {
    reportMalformed(
        line, QString::fromStdString(type) + QStringLiteral(": ") + QString::fromUtf8(ex.what()));
  }
}

}  // namespace boxlab::gui
