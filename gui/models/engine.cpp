#include "engine.hpp"

#include <unistd.h>

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include "boxlab/sys/trust.hpp"

namespace boxlab::gui {

QVector<LaunchPlan> planServeLaunch(const LaunchEnvironment& env) {
  QStringList serveArgs;
  if (!env.root.isEmpty()) serveArgs << QStringLiteral("--root") << env.root;
  serveArgs << QStringLiteral("serve");
  QVector<LaunchPlan> plans;
  if (env.boxlab.isEmpty() && env.installedEngine.isEmpty()) return plans;
  if (env.simulator) {
    // The learner's own rights: the simulator needs none, and gains nothing from root.
    plans.push_back(
        {env.boxlab.isEmpty() ? env.installedEngine : env.boxlab,
         serveArgs << QStringLiteral("--sim"), QStringLiteral("on the simulator"),
         QObject::tr("<b>Simulated.</b> The engine is boxlab's simulator: containers, their "
                     "processes and pid numbers, namespaces, cgroups (memory with the OOM "
                     "killer, pids, cpu) and the network (bridge, veths) are simulated, not the "
                     "kernel's; your shell and the "
                     "files you write are real. Labs 02 and 06 run here; the others need the "
                     "real engine as root. docs/simulator.md says what is real."),
         false});
    return plans;
  }
  if (env.isRoot) {
    plans.push_back({env.boxlab.isEmpty() ? env.installedEngine : env.boxlab,
                     serveArgs,
                     QStringLiteral("as root"),
                     {}});
    return plans;
  }
  QString escalate, notice;
  if (!env.boxlab.isEmpty() && (env.untrustedWhy.isEmpty() || env.devEscalate)) {
    escalate = env.boxlab;
    if (!env.untrustedWhy.isEmpty())
      notice = QObject::tr(
                   "Development build run as root on request (--dev-escalate): %1 is "
                   "not root's alone (%2).")
                   .arg(env.boxlab, env.untrustedWhy);
  } else if (!env.installedEngine.isEmpty()) {
    escalate = env.installedEngine;
    if (!env.boxlab.isEmpty() && env.boxlab != escalate)
      notice = QObject::tr(
                   "Using the installed engine %1: this build's %2 is not root's alone "
                   "(%3).")
                   .arg(escalate, env.boxlab, env.untrustedWhy);
  }
  if (!escalate.isEmpty()) {
    if (!env.pkexec.isEmpty() && env.hasDisplay)
      plans.push_back({env.pkexec, QStringList{escalate} + serveArgs,
                       QStringLiteral("through pkexec"), notice});
    if (!env.sudo.isEmpty())
      plans.push_back({env.sudo, QStringList{QStringLiteral("-n"), escalate} + serveArgs,
                       QStringLiteral("through sudo"), notice});
  }
  // Last: the learner's own rights. Safe with any binary (it gains nothing), and the app still
  // shows the labs that need no root.
  QString why = escalate.isEmpty()
                    ? QObject::tr(
                          "This is a development build that is not installed: its engine "
                          "%1 is not root's alone (%2), so the app does not run it as "
                          "root. Install boxlab (<tt>sudo ./kit install</tt>), or start "
                          "the app with --dev-escalate if you are root on this machine "
                          "anyway.")
                          .arg(env.boxlab, env.untrustedWhy)
                    : QObject::tr(
                          "No way to become root was granted (the password prompt was "
                          "declined, or neither pkexec nor passwordless sudo is here).");
  plans.push_back({escalate.isEmpty() ? env.boxlab : escalate, serveArgs,
                   QStringLiteral("without root"),
                   QObject::tr("The engine runs without root, with your account's rights: labs "
                               "that need root are closed. %1")
                       .arg(why),
                   true});
  return plans;
}

bool simulatorRequestedByEnvironment() {
  return qEnvironmentVariable("BOXLAB_BACKEND") == QLatin1String("sim");
}

LaunchEnvironment currentLaunchEnvironment(const QString& boxlab, const QString& root,
                                           bool devEscalate, bool simulator) {
  LaunchEnvironment env;
  env.simulator = simulator;
  env.boxlab = boxlab;
  if (!boxlab.isEmpty()) {
    if (auto why =
            boxlab::sys::why_not_root_owned(QFileInfo(boxlab).absoluteFilePath().toStdString()))
      env.untrustedWhy = QString::fromStdString(*why);
  }
  env.installedEngine = findInstalledEngine();
  env.devEscalate = devEscalate;
  env.root = root;
  env.isRoot = ::geteuid() == 0;
  env.pkexec = QStandardPaths::findExecutable(QStringLiteral("pkexec"));
  env.sudo = QStandardPaths::findExecutable(QStringLiteral("sudo"));
  env.hasDisplay =
      qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY");
  return env;
}

QString findBoxlab() {
  QString fromEnv = qEnvironmentVariable("BOXLAB_BIN");
  if (!fromEnv.isEmpty()) return QFileInfo(fromEnv).isExecutable() ? fromEnv : QString();
  QDir dir(QCoreApplication::applicationDirPath());
  for (const QString& rel :
       {QStringLiteral("boxlab"), QStringLiteral("../core/boxlab"),
        QStringLiteral("../../core/boxlab"), QStringLiteral("../bin/boxlab")}) {
    QFileInfo candidate(dir.filePath(rel));
    if (candidate.isFile() && candidate.isExecutable()) return candidate.canonicalFilePath();
  }
  return QStandardPaths::findExecutable(QStringLiteral("boxlab"));
}

QString findInstalledEngine() {
  QStringList candidates{
      QStringLiteral(BOXLAB_INSTALL_BINDIR "/boxlab"),
      QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("boxlab")),
      QStringLiteral("/usr/local/bin/boxlab"), QStringLiteral("/usr/bin/boxlab")};
  for (const QString& path : candidates)
    if (QFileInfo(path).isExecutable() && boxlab::sys::is_root_owned(path.toStdString()))
      return path;
  return {};
}

ServeProcess::ServeProcess(QVector<LaunchPlan> plans, QObject* parent)
    : Engine(parent), plans_(std::move(plans)) {}

ServeProcess::~ServeProcess() {
  stop(3000);
}

void ServeProcess::start() {
  current_ = -1;
  attempts_.clear();
  if (plans_.isEmpty()) {
    emit failed(tr("boxlab was not found (set BOXLAB_BIN or build core/boxlab)"));
    return;
  }
  tryNext();
}

void ServeProcess::tryNext() {
  if (process_) {
    process_->disconnect(this);
    process_->deleteLater();
    process_ = nullptr;
  }
  ++current_;
  if (current_ >= plans_.size()) {
    emit failed(
        tr("the engine could not be started: %1").arg(attempts_.join(QStringLiteral("; "))));
    return;
  }
  const LaunchPlan& plan = plans_[current_];
  answered_ = false;
  stderr_.clear();
  process_ = new QProcess(this);
  process_->setProgram(plan.program);
  process_->setArguments(plan.arguments);
  connect(process_, &QProcess::readyReadStandardOutput, this, [this] {
    answered_ = true;
    queued_.clear();
    emit output(process_->readAllStandardOutput());
  });
  connect(process_, &QProcess::readyReadStandardError, this, [this] {
    QByteArray bytes = process_->readAllStandardError();
    stderr_.append(bytes);
    if (stderr_.size() > 4096) stderr_ = stderr_.right(4096);
    for (const QByteArray& line : bytes.split('\n'))
      if (!line.trimmed().isEmpty()) emit diagnostic(QString::fromUtf8(line));
  });
  connect(process_, &QProcess::started, this, [this] {
    // Lines written while the process was starting (hello) go out now.
    for (const QByteArray& line : queued_) process_->write(line);
    emit started();
  });
  connect(process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
    if (error != QProcess::FailedToStart) return;
    attempts_ << QStringLiteral("%1 %2: %3")
                     .arg(plans_[current_].how, plans_[current_].program, process_->errorString());
    tryNext();
  });
  connect(process_, &QProcess::finished, this, &ServeProcess::onFinished);
  process_->start(QIODevice::ReadWrite);
}

void ServeProcess::onFinished(int exitCode, QProcess::ExitStatus status) {
  if (!process_) return;
  emit output(process_->readAllStandardOutput());
  QString said = QString::fromUtf8(stderr_).trimmed().section(QLatin1Char('\n'), -1);
  if (!answered_ && !stopping_) {
    attempts_ << QStringLiteral("%1: exited with %2%3")
                     .arg(plans_[current_].how)
                     .arg(exitCode)
                     .arg(said.isEmpty() ? QString()
                                         : QStringLiteral(" (") + said + QLatin1Char(')'));
    tryNext();
    return;
  }
  if (!stopping_)
    emit failed(status == QProcess::CrashExit
                    ? tr("the engine crashed%1")
                          .arg(said.isEmpty() ? QString() : QStringLiteral(": ") + said)
                    : tr("the engine exited with status %1%2")
                          .arg(exitCode)
                          .arg(said.isEmpty() ? QString() : QStringLiteral(": ") + said));
  emit finished(exitCode);
}

void ServeProcess::writeLine(const QByteArray& line) {
  QByteArray bytes = line;
  bytes.append('\n');
  // Kept until a plan answers: a plan that fails gives the same lines to the next one.
  if (!answered_) queued_.push_back(bytes);
  if (process_ && process_->state() == QProcess::Running) process_->write(bytes);
}

void ServeProcess::stop(int ms) {
  if (!process_ || process_->state() == QProcess::NotRunning) return;
  stopping_ = true;
  process_->closeWriteChannel();  // EOF: serve removes what it started and exits
  if (!process_->waitForFinished(ms)) {
    process_->terminate();
    if (!process_->waitForFinished(ms)) {
      process_->kill();
      process_->waitForFinished(ms);
    }
  }
}

bool ServeProcess::isRunning() const {
  return process_ && process_->state() == QProcess::Running;
}

QString ServeProcess::notice() const {
  if (current_ < 0 || current_ >= plans_.size()) return {};
  return plans_[current_].notice;
}

bool ServeProcess::offersSimulator() const {
  if (current_ < 0 || current_ >= plans_.size()) return false;
  return plans_[current_].offersSimulator;
}

QString ServeProcess::description() const {
  if (current_ < 0 || current_ >= plans_.size()) return tr("no engine");
  return tr("boxlab serve %1").arg(plans_[current_].how);
}

qint64 ServeProcess::processId() const {
  return process_ ? process_->processId() : 0;
}

}  // namespace boxlab::gui
