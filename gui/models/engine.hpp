// Where events come from. An Engine is a byte pipe to something that speaks the serve
// protocol (docs/events.md): ServeProcess runs `boxlab serve`, over the real runtime or, when
// the learner chose it, over the simulator (`boxlab serve --sim`).
#pragma once

#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QVector>

namespace boxlab::gui {

class Engine : public QObject {
  Q_OBJECT
 public:
  using QObject::QObject;
  ~Engine() override = default;

  virtual void start() = 0;
  // One command line, without its newline.
  virtual void writeLine(const QByteArray& line) = 0;
  // Asks the engine to clean up and exit (EOF on stdin), then waits up to `ms`.
  virtual void stop(int ms = 5000) = 0;
  virtual bool isRunning() const = 0;
  // How it runs, for the status bar and the banner ("boxlab serve as root").
  virtual QString description() const = 0;
  // What the learner must know about how it runs (no root, a development build), for a banner;
  // empty when there is nothing to say.
  virtual QString notice() const { return {}; }
  // Running without root: the app may offer the simulator instead (labs that need root run
  // there).
  virtual bool offersSimulator() const { return false; }

 signals:
  void output(const QByteArray& bytes);
  // The engine process runs (its first reply is still to come).
  void started();
  // It could not be started, or it exited; `message` says why in one readable line.
  void failed(const QString& message);
  void finished(int exitCode);
  void diagnostic(const QString& stderrLine);
};

// How to start `boxlab serve`: directly as root; else through pkexec (graphical session) or
// sudo -n (no password prompt), then as the learner without root. Tried in order until one
// runs.
struct LaunchPlan {
  QString program;
  QStringList arguments;
  QString how;     // "as root", "through pkexec", "through sudo", "without root", "on the
                   // simulator"
  QString notice;  // for the banner (Engine::notice) when this plan is the one that runs
  bool offersSimulator = false;  // the banner offers the simulator when this plan runs
};

// Only an engine that root alone can change is ever run as root for a learner: anything the
// learner's account can write (a build tree, a PATH entry) would otherwise decide what root
// runs. A development build that is not installed runs without root, unless the developer asks
// for it (--dev-escalate: for people who are root on their machine anyway).
struct LaunchEnvironment {
  QString boxlab;           // path of the boxlab binary the app found (or was given)
  QString untrustedWhy;     // why `boxlab` is not root's alone; empty when it is
  QString installedEngine;  // a root-owned installed boxlab, or empty
  bool devEscalate = false;
  QString root;  // --root DIR, or empty
  bool isRoot = false;
  QString pkexec;  // path, or empty when absent
  QString sudo;    // path, or empty when absent
  bool hasDisplay = false;
  // The learner chose the simulator (--sim, BOXLAB_BACKEND=sim): `boxlab serve --sim` as
  // themselves, nothing as root.
  bool simulator = false;
};

QVector<LaunchPlan> planServeLaunch(const LaunchEnvironment& env);
// The environment of this process (euid, pkexec/sudo in PATH, DISPLAY/WAYLAND_DISPLAY, whether
// `boxlab` is root's alone, the installed engine).
LaunchEnvironment currentLaunchEnvironment(const QString& boxlab, const QString& root,
                                           bool devEscalate, bool simulator = false);
// BOXLAB_BACKEND=sim in this process's environment (as for the boxlab CLI).
bool simulatorRequestedByEnvironment();
// BOXLAB_BIN, else boxlab next to or near this executable (build tree: ../core/boxlab), else
// `boxlab` on PATH; empty when none is found.
QString findBoxlab();
// The installed engine: boxlab in this build's install prefix, next to this executable,
// /usr/local/bin or /usr/bin, the first that only root can change; empty when none is.
QString findInstalledEngine();

// `boxlab serve` as a child process. Tries each LaunchPlan in turn: a plan whose process
// exits before it answers anything (sudo asking for a password, pkexec dismissed) gives way
// to the next; when none is left, failed() says what each attempt printed.
class ServeProcess : public Engine {
  Q_OBJECT
 public:
  ServeProcess(QVector<LaunchPlan> plans, QObject* parent = nullptr);
  ~ServeProcess() override;

  void start() override;
  void writeLine(const QByteArray& line) override;
  void stop(int ms = 5000) override;
  bool isRunning() const override;
  QString description() const override;
  QString notice() const override;
  bool offersSimulator() const override;
  qint64 processId() const;

 private:
  void tryNext();
  void onFinished(int exitCode, QProcess::ExitStatus status);

  QVector<LaunchPlan> plans_;
  int current_ = -1;
  QProcess* process_ = nullptr;
  bool answered_ = false;  // stdout produced something: this plan works
  bool stopping_ = false;
  QStringList attempts_;  // what each failed plan said
  QByteArray stderr_;
  QList<QByteArray> queued_;  // lines for a plan that has not answered yet
};

}  // namespace boxlab::gui
