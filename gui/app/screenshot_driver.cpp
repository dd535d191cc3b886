#include "screenshot_driver.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QDockWidget>
#include <QJsonArray>
#include <QPixmap>
#include <QProcess>
#include <QRegularExpression>
#include <QTreeView>
#include <memory>

#include "console_tabs.hpp"
#include "main_window.hpp"
#include "namespace_view.hpp"
#include "network_model.hpp"
#include "session.hpp"
#include "terminal_widget.hpp"

namespace boxlab::gui {

namespace {
constexpr qint64 kDeadlineMs = 90000;
}

ScreenshotDriver::ScreenshotDriver(Session* session, MainWindow* window, QString dir, QString scene,
                                   QObject* parent)
    : QObject(parent),
      session_(session),
      window_(window),
      dir_(std::move(dir)),
      scene_(std::move(scene)) {
  container_ = QStringLiteral("gui-shot-%1").arg(QCoreApplication::applicationPid());
  timer_.setInterval(100);
  connect(&timer_, &QTimer::timeout, this, &ScreenshotDriver::step);
}

void ScreenshotDriver::start() {
  clock_.start();
  timer_.start();
  connect(session_, &Session::engineUnavailable, this, [this](const QString& m) {
    // Still worth a picture: the banner is what a learner would see.
    QTimer::singleShot(500, this, [this, m] { shoot(false, m); });
  });
}

void ScreenshotDriver::type(const QString& session, const QByteArray& text) {
  session_->sendInput(session, text);
}

void ScreenshotDriver::step() {
  qint64 now = clock_.elapsed();
  if (now > kDeadlineMs) return shoot(false, QStringLiteral("timed out in stage %1").arg(stage_));
  auto next = [&] {
    ++stage_;
    stageAt_ = now;
  };
  switch (stage_) {
    case 0:  // the engine answers
      if (!session_->isEngineReady()) return;
      if (scene_ == QLatin1String("idle")) {
        stage_ = 100;
        stageAt_ = now;
        return;
      }
      if (scene_ == QLatin1String("network")) {
        startNetworkScene();
        stage_ = 200;
        stageAt_ = now;
        return;
      }
      if (scene_ == QLatin1String("security")) {
        startSecurityScene();
        stage_ = 300;
        stageAt_ = now;
        return;
      }
      next();
      return;
    case 1: {  // the lab's host shell is open, at its prompt: start the lab's container
      QString host = session_->hostShellSession();
      TerminalWidget* t = window_->consoles()->hostTerminal();
      if (host.isEmpty() || !t ||
          !t->screenText().contains(
              QRegularExpression(QStringLiteral("[#$] *$"), QRegularExpression::MultilineOption)))
        return;
      type(host, "boxlab run -d --name lab06-box --memory 32M base sleep 1000\r");
      next();
      return;
    }
    case 2:  // the app follows lab06-box by itself; a shell inside it in a second tab
      if (session_->watched() != QLatin1String("lab06-box") ||
          session_->processes()->rowCount() == 0)
        return;
      session_->openTerminal(QStringLiteral("lab06-box"), {QStringLiteral("sh")},
                             [this](const QString& s) {
                               if (s.isEmpty())
                                 return shoot(false, QStringLiteral("no shell in lab06-box"));
                               containerShell_ = s;
                               window_->attachTerminal(s, QStringLiteral("lab06-box"));
                             });
      next();
      return;
    case 3: {  // the container's shell answers; back to the host shell for the lab's steps
      TerminalWidget* inside = window_->consoles()->terminalOf(containerShell_);
      if (!inside || !inside->screenText().contains(QLatin1Char('#'))) return;
      type(containerShell_, "echo I am pid $$ in $(hostname); ps -o pid,ppid,comm\r");
      window_->consoles()->showHost();
      session_->openStep(session_->openLab(), 3);
      type(session_->hostShellSession(),
           "boxlab exec lab06-box -- dd if=/dev/zero of=/dev/shm/fill bs=1M count=20\r");
      next();
      return;
    }
    case 4:  // a few samples with the fill, then the hog
      if (now - stageAt_ < 2500) return;
      type(session_->hostShellSession(),
           "boxlab exec lab06-box -- tail /dev/zero; echo $? > hog-exit; cat hog-exit\r");
      next();
      return;
    case 5: {  // the OOM kill reached the chart and the tree, and step 3 is green
      bool marked = false;
      for (const auto& m : session_->resources()->marks())
        marked = marked || m.event == QLatin1String("oom_kill");
      QModelIndex step = session_->labs()->findStep(session_->openLab(), 3);
      if (!marked || session_->processes()->oomKilledCount() == 0 ||
          !step.data(LabListModel::PassedRole).toBool() || !session_->checks()->allPassed())
        return;
      next();
      return;
    }
    case 6:  // a little more of the timeline after the kill
      if (now - stageAt_ < 1500) return;
      return shoot(true, {});
    case 100:
      if (now - stageAt_ < 1500) return;
      return shoot(true, {});
    case 200: {  // every container of the scene drawn with its eth0 address, the port published
      const NetworkModel* net = session_->network();
      int addressed = 0;
      for (const QString& name : networkContainers_)
        if (const NetNamespace* ns = net->findNamespace(name))
          for (const auto& i : ns->interfaces)
            if (i.name == QLatin1String("eth0") && !i.addresses.isEmpty()) ++addressed;
      if (addressed < 2 || net->topology().ports.isEmpty()) return;
      if (QDockWidget* d = window_->dock(QStringLiteral("network"))) {
        d->raise();
        // The diagram is the subject: give the right side most of the window.
        QDockWidget* proc = window_->dock(QStringLiteral("processes"));
        window_->resizeDocks({proc}, {window_->width() * 58 / 100}, Qt::Horizontal);
        window_->resizeDocks({proc, d}, {150, 1000}, Qt::Vertical);
        if (QDockWidget* checks = window_->dock(QStringLiteral("checks")))
          window_->resizeDocks({checks}, {170}, Qt::Vertical);
      }
      if (QDockWidget* d = window_->dock(QStringLiteral("layers"))) d->setVisible(true);
      next();
      return;
    }
    case 201:  // a moment for the layout, the monitor and the layer stack
      if (now - stageAt_ < 2000) return;
      return shoot(true, {});
    case 300:  // the default container watched and its security in
      if (!securityShown(container_ + QStringLiteral("-default"))) return;
      if (QDockWidget* d = window_->dock(QStringLiteral("namespaces"))) {
        d->raise();
        // The section is the subject: no lab here, so the checks' height goes to it.
        if (QDockWidget* checks = window_->dock(QStringLiteral("checks"))) checks->hide();
        window_->resizeDocks({window_->dock(QStringLiteral("processes")), d}, {150, 1000},
                             Qt::Vertical);
      }
      next();
      return;
    case 301:  // a moment for the layout; then the privileged one
      if (now - stageAt_ < 1000) return;
      savePane(QStringLiteral("namespaces"), QStringLiteral("security-default"));
      session_->watch(container_ + QStringLiteral("-privileged"));
      next();
      return;
    case 302:
      if (!securityShown(container_ + QStringLiteral("-privileged"))) return;
      next();
      return;
    case 303:
      if (now - stageAt_ < 1000) return;
      savePane(QStringLiteral("namespaces"), QStringLiteral("security-privileged"));
      return shoot(true, {});
  }
}

// A default container through serve (watched once it runs) and a --privileged one through the
// CLI on the same root.
void ScreenshotDriver::startSecurityScene() {
  QString privileged = container_ + QStringLiteral("-privileged");
  QStringList args;
  if (!root_.isEmpty()) args << QStringLiteral("--root") << root_;
  args << QStringLiteral("run") << QStringLiteral("-d") << QStringLiteral("--privileged")
       << QStringLiteral("--name") << privileged << QStringLiteral("base") << QStringLiteral("--")
       << QStringLiteral("sleep") << QStringLiteral("600");
  if (QProcess::execute(boxlab_, args) != 0)
    return shoot(false, QStringLiteral("boxlab run --privileged failed"));
  removeAtEnd_ << privileged;
  session_->runContainer(
      {{QStringLiteral("image"), QStringLiteral("base")},
       {QStringLiteral("name"), container_ + QStringLiteral("-default")},
       {QStringLiteral("rm"), true},
       {QStringLiteral("command"), QJsonArray{QStringLiteral("sleep"), QStringLiteral("600")}}},
      [this](const ReplyEvent& r) {
        if (!r.ok) shoot(false, EngineClient::describe(QStringLiteral("run"), r));
      });
}

// The watched container is `name`, its security event has arrived, and the capability rows a
// learner opens first are open.
bool ScreenshotDriver::securityShown(const QString& name) {
  const SecurityModel* sec = session_->security();
  if (session_->watched() != name || !sec->hasData() || sec->container() != name) return false;
  QTreeView* tree = window_->namespaceView()->securityTree();
  bool privileged = sec->isPrivileged();
  tree->setExpanded(sec->rowFor(QStringLiteral("effective")), !privileged);
  tree->setExpanded(sec->rowFor(QStringLiteral("dropped")), privileged);
  return true;
}

void ScreenshotDriver::savePane(const QString& dock, const QString& file) {
  QDir().mkpath(dir_);
  QString path = QDir(dir_).filePath(file + QStringLiteral(".png"));
  if (QDockWidget* d = window_->dock(dock))
    if (!d->grab().save(path)) qWarning("boxlab-gui: could not write %s", qPrintable(path));
}

// Two containers on boxlab0 (one serving httpd on a published port) and one without a
// network. Meant to run in a network namespace of its own (screenshot_test.sh does).
void ScreenshotDriver::startNetworkScene() {
  QString web = container_ + QStringLiteral("-web"),
          client = container_ + QStringLiteral("-client"),
          alone = container_ + QStringLiteral("-none");
  networkContainers_ = {web, client};
  auto run = [this](const QJsonObject& args) {
    session_->runContainer(args, [this](const ReplyEvent& r) {
      if (!r.ok) shoot(false, EngineClient::describe(QStringLiteral("run"), r));
    });
  };
  run({{QStringLiteral("image"), QStringLiteral("base")},
       {QStringLiteral("name"), alone},
       {QStringLiteral("rm"), true},
       {QStringLiteral("command"), QJsonArray{QStringLiteral("sleep"), QStringLiteral("600")}}});
  run({{QStringLiteral("image"), QStringLiteral("base")},
       {QStringLiteral("name"), client},
       {QStringLiteral("net"), QStringLiteral("bridge")},
       {QStringLiteral("rm"), true},
       {QStringLiteral("command"), QJsonArray{QStringLiteral("sleep"), QStringLiteral("600")}}});
  // Watched last (run watches what it started): the web server's tree and layers show.
  run({{QStringLiteral("image"), QStringLiteral("base")},
       {QStringLiteral("name"), web},
       {QStringLiteral("hostname"), QStringLiteral("web")},
       {QStringLiteral("publish"), QJsonArray{QStringLiteral("8080:80")}},
       {QStringLiteral("rm"), true},
       {QStringLiteral("command"), QJsonArray{QStringLiteral("httpd"), QStringLiteral("-f"),
                                              QStringLiteral("-p"), QStringLiteral("80")}}});
  session_->refreshLayers(QStringLiteral("/etc"));
}

void ScreenshotDriver::shoot(bool ok, const QString& why) {
  timer_.stop();
  QDir().mkpath(dir_);
  auto save = [this](QWidget* w, const QString& name) {
    QString path = QDir(dir_).filePath(name + QStringLiteral(".png"));
    if (!w->grab().save(path)) qWarning("boxlab-gui: could not write %s", qPrintable(path));
  };
  save(window_, QStringLiteral("main"));
  for (QDockWidget* d : window_->docks()) {
    // A tab behind another has no size of its own until it is raised and laid out.
    d->raise();
    QCoreApplication::processEvents();
    save(d, QStringLiteral("pane-") + d->objectName());
  }
  save(window_->consoles(), QStringLiteral("pane-console"));
  if (!ok)
    qWarning("boxlab-gui: screenshot scene '%s' incomplete: %s", qPrintable(scene_),
             qPrintable(why));
  finish(ok, why);
}

void ScreenshotDriver::finish(bool ok, const QString& why) {
  int code = ok ? 0 : 1;
  // The scene's lab06-box was started by the host shell's boxlab, the security scene's
  // privileged one by the CLI, not by serve: serve's shutdown would leave them. Remove them
  // first.
  if (scene_ == QLatin1String("hog")) removeAtEnd_ << QStringLiteral("lab06-box");
  if (removeAtEnd_.isEmpty() || !session_->isEngineReady()) return QCoreApplication::exit(code);
  auto left = std::make_shared<int>(int(removeAtEnd_.size()));
  for (const QString& name : removeAtEnd_)
    session_->client()->request(
        QStringLiteral("rm"), {{QStringLiteral("name"), name}, {QStringLiteral("force"), true}},
        [code, why, name, left](const ReplyEvent& r) {
          if (!r.ok && !why.contains(name))
            qWarning("boxlab-gui: remove %s: %s", qPrintable(name), qPrintable(r.error));
          if (--*left == 0) QCoreApplication::exit(code);
        });
}

}  // namespace boxlab::gui
