#include "session.hpp"

#include "commands.hpp"

namespace boxlab::gui {

namespace {
QString text(const QJsonObject& o, const char* key) {
  return o.value(QLatin1String(key)).toString();
}
}  // namespace

QString Session::withIntroduction(const QJsonObject& lab, int stepIndex) {
  QJsonObject step = lab.value(QLatin1String("steps")).toArray().at(stepIndex - 1).toObject();
  QString intro = text(lab, "intro").trimmed();
  QString instructions = text(step, "instructions");
  if (intro.isEmpty()) return instructions;
  return tr("# Lab %1: %2\n\n%3\n\n---\n\n## Step %4: %5\n\n%6")
      .arg(text(lab, "number"), text(lab, "title"), intro)
      .arg(stepIndex)
      .arg(text(step, "title"), instructions);
}

Session::Session(Engine* engine, QObject* parent) : QObject(parent), client_(engine) {
  EventStream* s = client_.stream();
  connect(s, &EventStream::procTree, &processes_, &ProcessTreeModel::applyTree);
  connect(s, &EventStream::procTree, &namespaces_, &NamespaceModel::applyTree);
  connect(s, &EventStream::containerSecurity, &security_, &SecurityModel::applySecurity);
  connect(s, &EventStream::cgroupEvent, &processes_, &ProcessTreeModel::applyCgroupEvent);
  connect(s, &EventStream::containerState, &processes_, &ProcessTreeModel::applyContainerState);
  connect(s, &EventStream::cgroupStats, &resources_, &ResourceSeries::applyStats);
  connect(s, &EventStream::cgroupEvent, &resources_, &ResourceSeries::applyEvent);
  connect(s, &EventStream::checkResult, &checks_, &CheckModel::applyCheckResult);
  connect(s, &EventStream::netTopology, &network_, &NetworkModel::applyTopology);
  connect(s, &EventStream::imageLayers, &layers_, &LayerModel::applyLayers);
  connect(s, &EventStream::labStep, this, &Session::applyLabStep);
  connect(s, &EventStream::imageProgress, this, &Session::imageProgress);
  connect(s, &EventStream::containerState, this, &Session::onContainerState);
  connect(s, &EventStream::consoleOutput, this,
          [this](const ConsoleOutputEvent& e) { emit consoleOutput(e.session, e.data); });
  connect(s, &EventStream::consoleClosed, this, [this](const ConsoleClosedEvent& e) {
    if (e.session == hostShell_) hostShell_.clear();
    emit consoleClosed(e.session, e.exitCode.value_or(-1));
  });
  connect(&client_, &EngineClient::ready, this, [this](const QJsonObject& hello) {
    emit engineReady(hello);
    refreshContainers();
    refreshLabs();
    if (client_.supports(cmdName(cmd::kNetTopology)))
      client_.request(cmdName(cmd::kNetTopology), {{QStringLiteral("watch"), true}},
                      [this](const ReplyEvent& r) {
                        if (!r.ok && r.code != QLatin1String("engine_gone"))
                          failed(cmdName(cmd::kNetTopology), r);
                      });
    poll_.start();
  });
  connect(&client_, &EngineClient::unavailable, this, [this](const QString& m) {
    poll_.stop();
    emit engineUnavailable(m);
  });
  connect(&client_, &EngineClient::error, this, &Session::message);
  connect(&client_, &EngineClient::warning, this, &Session::message);
  poll_.setInterval(3000);
  connect(&poll_, &QTimer::timeout, this, &Session::refreshContainers);
  namespaces_.setHostNamespaces(readHostNamespaces());
}

Session::~Session() {
  stop();
}

void Session::start() {
  client_.start();
}

void Session::stop() {
  poll_.stop();
  client_.stop();
}

QString Session::engineDescription() const {
  return const_cast<EngineClient&>(client_).engine()->description();
}

QString Session::engineNotice() const {
  return const_cast<EngineClient&>(client_).engine()->notice();
}

void Session::failed(const QString& cmd, const ReplyEvent& r) {
  emit message(EngineClient::describe(cmd, r));
}

void Session::refreshContainers() {
  client_.request(cmdName(cmd::kPs), {{QStringLiteral("all"), true}}, [this](const ReplyEvent& r) {
    if (!r.ok) {
      if (r.code != QLatin1String("engine_gone")) failed(cmdName(cmd::kPs), r);
      return;
    }
    QVector<ContainerInfo> list;
    for (const QJsonValue& v : r.body.value(QLatin1String("containers")).toArray()) {
      QJsonObject o = v.toObject();
      list.push_back({text(o, "name"), text(o, "status"), text(o, "image"), text(o, "namespaces"),
                      o.value(QLatin1String("pid")).toInteger(),
                      o.value(QLatin1String("owned")).toBool(), text(o, "created")});
    }
    bool changed = list.size() != containers_.size();
    for (int i = 0; !changed && i < list.size(); ++i)
      changed = list[i].name != containers_[i].name || list[i].status != containers_[i].status ||
                list[i].pid != containers_[i].pid;
    containers_ = list;
    tellChartsWhenStarted();
    if (changed) {
      emit containersChanged();
      if (pickLayersContainer(labContainers_, containers_, watched_) != layersContainer_)
        followLayers();
    }
    followLabContainers();
  });
}

void Session::applyLabStep(const LabStepEvent& e) {
  bool was = labs_.data(labs_.findStep(e.lab, e.stepIndex), LabListModel::PassedRole).toBool();
  labs_.applyLabStep(e);
  checks_.applyLabStep(e);
  if (e.passed && !was) emit stepPassed(e.lab, e.stepIndex);
}

void Session::onContainerState(const ContainerStateEvent& e) {
  bool found = false;
  for (auto& c : containers_)
    if (c.name == e.name) {
      found = true;
      c.status = e.status;
      if (e.pid) c.pid = e.pid;
    }
  if (!found && e.status != QLatin1String("removed"))
    containers_.push_back({e.name, e.status, {}, {}, e.pid, false, {}});
  if (e.status == QLatin1String("removed"))
    containers_.erase(std::remove_if(containers_.begin(), containers_.end(),
                                     [&](const ContainerInfo& c) { return c.name == e.name; }),
                      containers_.end());
  emit containersChanged();
  followLabContainers();
}

bool Session::isLabContainer(const QString& name) const {
  return labContainers_.contains(name) || (!labPrefix_.isEmpty() && name.startsWith(labPrefix_));
}

void Session::followLabContainers() {
  if (openLab_.isEmpty()) return;
  auto running = [](const ContainerInfo& c) {
    return c.status == QLatin1String("running") || c.status == QLatin1String("paused");
  };
  // The lab's own order first (lab06-box before lab06-hog), then other names with its prefix.
  QVector<const ContainerInfo*> lab;
  for (const QString& name : labContainers_)
    for (const auto& c : containers_)
      if (c.name == name && running(c)) lab << &c;
  for (const auto& c : containers_)
    if (running(c) && !labContainers_.contains(c.name) && isLabContainer(c.name)) lab << &c;
  bool watchedRuns = false;
  for (const auto& c : containers_) watchedRuns = watchedRuns || (c.name == watched_ && running(c));
  QString pick;
  for (const ContainerInfo* c : lab)
    if (!labRunning_.contains(c->name)) {  // it just started: the learner's latest step
      pick = c->name;
      break;
    }
  if (pick.isEmpty() && !watchedRuns && !lab.isEmpty()) pick = lab.front()->name;
  labRunning_.clear();
  for (const ContainerInfo* c : lab) labRunning_.insert(c->name);
  if (!pick.isEmpty() && pick != watched_) watch(pick);
}

void Session::watch(const QString& name, double rateHz) {
  if (name == watched_) return;
  if (!watched_.isEmpty())
    client_.request(cmdName(cmd::kMonitor),
                    {{QStringLiteral("name"), watched_}, {QStringLiteral("on"), false}},
                    [](const ReplyEvent&) {});  // it may be gone already: nothing to say
  watched_ = name;
  processes_.setContainer(name);
  processes_.clear();
  resources_.setContainer(name);
  resources_.clear();
  tellChartsWhenStarted();
  namespaces_.setContainer(name);
  security_.setContainer(name);
  mounts_.clear();
  cgroupFiles_.setFiles(name, {});
  emit watchedChanged(name);
  if (name.isEmpty()) return;
  client_.request(cmdName(cmd::kMonitor),
                  {{QStringLiteral("name"), name},
                   {QStringLiteral("on"), true},
                   {QStringLiteral("rate"), rateHz}},
                  [this](const ReplyEvent& r) {
                    if (!r.ok) failed(cmdName(cmd::kMonitor), r);
                  });
  refreshMounts();
  followLayers();
  refreshCgroupFiles();
}

QString Session::pickLayersContainer(const QStringList& labContainers,
                                     const QVector<ContainerInfo>& containers,
                                     const QString& watched) {
  QString running, existing;
  for (const QString& name : labContainers)
    for (const auto& c : containers)
      if (c.name == name) {
        if (existing.isEmpty()) existing = name;
        if (c.status == QLatin1String("running") || c.status == QLatin1String("paused"))
          running = name;
      }
  if (!running.isEmpty()) return running;
  return existing.isEmpty() ? watched : existing;
}

void Session::followLayers() {
  QString pick = pickLayersContainer(openLab_.isEmpty() ? QStringList() : labContainers_,
                                     containers_, watched_);
  bool changed = pick != layersContainer_;
  layersContainer_ = pick;
  layers_.setContainer(pick);
  if (changed || pick == watched_) refreshLayers(layersPath_);
}

void Session::refreshCgroupFiles() {
  if (watched_.isEmpty()) return;
  QString name = watched_;
  client_.request(
      cmdName(cmd::kInspect), {{QStringLiteral("name"), name}}, [this, name](const ReplyEvent& r) {
        if (name != watched_) return;
        // Gone or stopped: the panel says so (no error: the tree shows why).
        cgroupFiles_.setFiles(
            name, r.ok ? r.body.value(QLatin1String("cgroupFiles")).toObject() : QJsonObject());
      });
}

void Session::tellChartsWhenStarted() {
  for (const auto& c : containers_)
    if (c.name == watched_ && !c.created.isEmpty()) resources_.setStarted(c.created);
}

void Session::refreshLayers(const QString& path) {
  layersPath_ = path;
  if (layersContainer_.isEmpty() || !client_.supports(cmdName(cmd::kImageLayers))) return;
  QJsonObject args{{QStringLiteral("name"), layersContainer_}};
  if (!path.isEmpty()) args.insert(QStringLiteral("path"), path);
  client_.request(cmdName(cmd::kImageLayers), args, [this](const ReplyEvent& r) {
    if (!r.ok && r.code != QLatin1String("engine_gone")) failed(QStringLiteral("image layers"), r);
  });
}

void Session::refreshNetwork() {
  if (!client_.supports(cmdName(cmd::kNetTopology))) return;
  client_.request(cmdName(cmd::kNetTopology), {}, [this](const ReplyEvent& r) {
    if (!r.ok && r.code != QLatin1String("engine_gone")) failed(cmdName(cmd::kNetTopology), r);
  });
}

void Session::refreshMounts() {
  if (watched_.isEmpty()) return;
  QString name = watched_;
  // serve reads them from outside (inspect's mountinfo): no process in the container. An
  // engine without it (the simulator) gets the exec.
  client_.request(cmdName(cmd::kInspect), {{QStringLiteral("name"), name}},
                  [this, name](const ReplyEvent& r) {
                    if (name != watched_) return;
                    // The engine's host, not the app's: on the simulator they differ.
                    QJsonObject host = r.body.value(QLatin1String("state"))
                                           .toObject()
                                           .value(QLatin1String("hostNamespaces"))
                                           .toObject();
                    if (!host.isEmpty()) {
                      QHash<QString, quint64> inodes;
                      for (auto it = host.begin(); it != host.end(); ++it)
                        inodes[it.key()] = static_cast<quint64>(it.value().toDouble());
                      namespaces_.setHostNamespaces(inodes);
                    }
                    if (r.ok && r.body.contains(QLatin1String("mountinfo"))) {
                      mounts_.setMountInfo(text(r.body, "mountinfo"));
                      return;
                    }
                    if (r.ok) refreshMountsInside();
                  });
}

void Session::refreshMountsInside() {
  if (watched_.isEmpty()) return;
  QString name = watched_;
  client_.request(cmdName(cmd::kExec),
                  {{QStringLiteral("name"), name},
                   {QStringLiteral("command"),
                    QJsonArray{QStringLiteral("cat"), QStringLiteral("/proc/self/mountinfo")}}},
                  [this, name](const ReplyEvent& r) {
                    if (name != watched_) return;
                    if (!r.ok) {
                      if (r.code != QLatin1String("engine_gone"))
                        failed(QStringLiteral("mounts"), r);
                      return;
                    }
                    mounts_.setMountInfo(text(r.body, "stdout"));
                  });
}

void Session::runContainer(const QJsonObject& args, std::function<void(const ReplyEvent&)> done) {
  client_.request(cmdName(cmd::kRun), args, [this, done](const ReplyEvent& r) {
    if (!r.ok)
      failed(cmdName(cmd::kRun), r);
    else {
      refreshContainers();
      watch(text(r.body, "name"));
    }
    if (done) done(r);
  });
}

void Session::openTerminal(const QString& container, const QStringList& command,
                           std::function<void(const QString&)> done) {
  client_.request(cmdName(cmd::kExec),
                  {{QStringLiteral("name"), container},
                   {QStringLiteral("command"), QJsonArray::fromStringList(command)},
                   {QStringLiteral("tty"), true},
                   {QStringLiteral("env"), QJsonArray{QStringLiteral("TERM=xterm-256color")}}},
                  [this, done](const ReplyEvent& r) {
                    if (!r.ok) failed(QStringLiteral("terminal"), r);
                    done(r.ok ? text(r.body, "session") : QString());
                  });
}

void Session::openHostShell(int rows, int cols) {
  if (hostShellPending_ || !hostShell_.isEmpty()) return;
  if (!client_.supports(cmdName(cmd::kHostShell))) {
    emit message(
        tr("This engine has no host shell (serve's host.shell): type the lab's "
           "commands in a terminal of your own."));
    return;
  }
  hostShellPending_ = true;
  client_.request(cmdName(cmd::kHostShell),
                  {{QStringLiteral("rows"), qBound(1, rows, 65535)},
                   {QStringLiteral("cols"), qBound(1, cols, 65535)}},
                  [this](const ReplyEvent& r) {
                    hostShellPending_ = false;
                    if (!r.ok) {
                      if (r.code != QLatin1String("engine_gone"))
                        failed(QStringLiteral("host shell"), r);
                      return;
                    }
                    hostShell_ = text(r.body, "session");
                    hostShellRoot_ = r.body.value(QLatin1String("root")).toBool();
                    hostShellSimulated_.clear();
                    for (const auto& v : r.body.value(QLatin1String("simulated")).toArray())
                      hostShellSimulated_.push_back(v.toString());
                    emit hostShellOpened(hostShell_, text(r.body, "cwd"));
                  });
}

void Session::sendInput(const QString& session, const QByteArray& bytes) {
  if (session.isEmpty() || bytes.isEmpty()) return;
  client_.request(cmdName(cmd::kConsoleInput),
                  {{QStringLiteral("session"), session},
                   {QStringLiteral("data"), QString::fromLatin1(bytes.toBase64())}});
}

void Session::resizeTerminal(const QString& session, int rows, int cols) {
  if (session.isEmpty() || rows < 1 || cols < 1) return;
  client_.request(cmdName(cmd::kConsoleResize), {{QStringLiteral("session"), session},
                                                 {QStringLiteral("rows"), rows},
                                                 {QStringLiteral("cols"), cols}});
}

void Session::refreshLabs() {
  client_.request(cmdName(cmd::kLabLs), {}, [this](const ReplyEvent& r) {
    labsAvailable_ = r.ok;
    labsReason_ = r.ok ? QString() : EngineClient::describe(cmdName(cmd::kLabLs), r);
    if (r.ok) labs_.setLabs(r.body.value(QLatin1String("labs")).toArray());
    emit labsChanged();
  });
}

void Session::openStep(const QString& labId, int stepIndex) {
  QString id = labs_.data(labs_.findLab(labId), LabListModel::LabIdRole).toString();
  if (id.isEmpty()) id = labId;
  // A lab opened anew (not a move between its steps) shows its introduction first: it says
  // what the lab is about and what it needs (lab 09's note on running it in a namespace of
  // one's own), which the first step's text takes for read.
  bool newLab = id != openLab_;
  openLab_ = id;
  openStep_ = stepIndex;
  client_.request(
      cmdName(cmd::kLabShow), {{QStringLiteral("lab"), id}},
      [this, id, stepIndex, newLab](const ReplyEvent& r) {
        if (!r.ok) return failed(cmdName(cmd::kLabShow), r);
        QJsonObject lab = r.body.value(QLatin1String("lab")).toObject();
        labs_.setLabDetail(lab);
        if (id == openLab_) {
          QStringList names;
          for (const QJsonValue& n : lab.value(QLatin1String("containers")).toArray())
            names << n.toString();
          labContainers_ = names;
          labPrefix_ = text(lab, "containerPrefix");
          openLabDir_ = text(lab, "dir");
          openLabAnswers_ = text(lab, "answers");
          labRunning_.clear();
          followLabContainers();
          followLayers();
        }
        QJsonArray steps = lab.value(QLatin1String("steps")).toArray();
        if (stepIndex < 1 || stepIndex > steps.size()) {
          checks_.clear();
          emit stepOpened(id, 0, text(lab, "intro"));
          return;
        }
        QJsonObject step = steps[stepIndex - 1].toObject();
        checks_.setStep(id, text(step, "id"), step.value(QLatin1String("checks")).toArray());
        emit stepOpened(id, stepIndex,
                        newLab ? withIntroduction(lab, stepIndex) : text(step, "instructions"));
        emit hintsKnown(step.value(QLatin1String("hintsShown")).toInt(),
                        step.value(QLatin1String("hintsTotal")).toInt());
        client_.request(cmdName(cmd::kLabOpen),
                        {{QStringLiteral("lab"), id}, {QStringLiteral("step"), stepIndex}},
                        [this](const ReplyEvent& o) {
                          if (!o.ok) failed(cmdName(cmd::kLabOpen), o);
                          // After lab.open: the shell starts in the lab's answers folder.
                          if (client_.supports(cmdName(cmd::kHostShell))) openHostShell();
                        });
      });
}

void Session::checkNow() {
  if (openLab_.isEmpty() || openStep_ < 1) return;
  client_.request(cmdName(cmd::kLabCheck),
                  {{QStringLiteral("lab"), openLab_}, {QStringLiteral("step"), openStep_}},
                  [this](const ReplyEvent& r) {
                    if (!r.ok) return failed(cmdName(cmd::kLabCheck), r);
                    QJsonObject report = r.body.value(QLatin1String("report")).toObject();
                    checks_.applyReport(report);
                    // Without live checking no lab.step follows: the report says it.
                    QString lab = report.value(QLatin1String("lab")).toString();
                    for (const QJsonValue& v : report.value(QLatin1String("steps")).toArray()) {
                      QJsonObject step = v.toObject();
                      LabStepEvent e;
                      e.lab = lab;
                      e.step = step.value(QLatin1String("id")).toString();
                      e.passed = step.value(QLatin1String("passed")).toBool();
                      e.points = step.value(QLatin1String("points")).toInt();
                      e.maxPoints = step.value(QLatin1String("maxPoints")).toInt();
                      QModelIndex labIndex = labs_.findLab(lab);
                      for (int i = 0; i < labs_.rowCount(labIndex); ++i)
                        if (labs_.index(i, 0, labIndex).data(LabListModel::StepIdRole) == e.step)
                          e.stepIndex = i + 1;
                      applyLabStep(e);
                    }
                  });
}

void Session::nextHint() {
  if (openLab_.isEmpty() || openStep_ < 1) return;
  client_.request(cmdName(cmd::kLabHint),
                  {{QStringLiteral("lab"), openLab_}, {QStringLiteral("step"), openStep_}},
                  [this](const ReplyEvent& r) {
                    if (!r.ok) return failed(cmdName(cmd::kLabHint), r);
                    emit hintRevealed(text(r.body, "hint"),
                                      r.body.value(QLatin1String("index")).toInt(),
                                      r.body.value(QLatin1String("total")).toInt());
                  });
}

void Session::closeLab() {
  client_.request(cmdName(cmd::kLabClose));
}

bool Session::canImportImages() const {
  return client_.supports(cmdName(cmd::kImageImport));
}

bool Session::importImage(const QString& source, const QString& name, bool keepSetuid,
                          std::function<void(const ReplyEvent&)> done) {
  if (!canImportImages()) return false;
  QJsonObject args{{QStringLiteral("source"), source}};
  if (!name.isEmpty()) args.insert(QStringLiteral("name"), name);
  if (keepSetuid) args.insert(QStringLiteral("keepSetuid"), true);
  client_.request(cmdName(cmd::kImageImport), args, std::move(done));
  return true;
}

bool Session::canPullImages() const {
  return client_.supports(cmdName(cmd::kImagePull));
}

bool Session::pullImage(const QString& ref, const QString& name, bool insecure,
                        const QString& mirror, std::function<void(const ReplyEvent&)> done) {
  if (!canPullImages()) return false;
  QJsonObject args{{QStringLiteral("ref"), ref}};
  if (!name.isEmpty()) args.insert(QStringLiteral("name"), name);
  if (insecure) args.insert(QStringLiteral("insecure"), true);
  if (!mirror.isEmpty()) args.insert(QStringLiteral("mirror"), mirror);
  client_.request(cmdName(cmd::kImagePull), args, std::move(done));
  return true;
}

QString Session::pullCommand() {
  return cmdName(cmd::kImagePull);
}

QString Session::describePullFailure(const ReplyEvent& reply) {
  return EngineClient::describe(cmdName(cmd::kImagePull), reply);
}

bool Session::listImages(std::function<void(const ReplyEvent&)> done) {
  if (!client_.supports(cmdName(cmd::kImageLs))) return false;
  client_.request(cmdName(cmd::kImageLs), {}, std::move(done));
  return true;
}

QString Session::importCommand() {
  return cmdName(cmd::kImageImport);
}

QString Session::describeImportFailure(const ReplyEvent& reply) {
  return EngineClient::describe(cmdName(cmd::kImageImport), reply);
}

QString Session::describeImageListFailure(const ReplyEvent& reply) {
  return EngineClient::describe(cmdName(cmd::kImageLs), reply);
}

}  // namespace boxlab::gui
