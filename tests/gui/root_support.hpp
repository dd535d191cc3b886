// What the root GUI tests share: the boxlab CLI over a test's own --root, and a Session on
// `boxlab serve` run as root over it.
#pragma once

#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTest>
#include <memory>

#include "engine.hpp"
#include "session.hpp"

namespace boxlab::gui::test {

// `boxlab --root ROOT ARGS...`, waited for (2 min at most): stdout and stderr as written, the
// exit code in *code.
inline QString runBoxlab(const QString& root, const QStringList& args, int* code = nullptr) {
  QProcess p;
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(QStringLiteral(BOXLAB_BIN), QStringList{QStringLiteral("--root"), root} + args);
  p.waitForFinished(120000);
  if (code) *code = p.exitCode();
  return QString::fromUtf8(p.readAll());
}

// A test's --root made ready for containers: searchable by every user (a user namespace's root
// walks to its rootfs) and holding the base image. False when build-base failed; *output holds
// what it printed.
inline bool prepareRoot(const QString& root, QString* output) {
  QFile::setPermissions(root, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                  QFile::ExeGroup | QFile::ExeOther);
  int code = -1;
  *output = runBoxlab(root, {QStringLiteral("image"), QStringLiteral("build-base")}, &code);
  return code == 0;
}

// What serve and the CLI of a lab test read: labs from the source tree, progress and answers in
// the test's own STATE dir.
inline void useLabsFromSource(const QString& state) {
  qputenv("BOXLAB_LABS_DIR", QByteArrayLiteral(BOXLAB_SOURCE_DIR "/labs"));
  qputenv("BOXLAB_STATE_HOME", state.toUtf8());
}

// Not started yet: the caller connects its signals first.
inline std::unique_ptr<Session> makeRootSession(const QString& root) {
  // The engine's host shell is $SHELL: sh reads no rc files, so the tester's (a bash whose rc
  // runs pyenv, killed mid-way when a test ends, left a lock that held every later one 60 s)
  // play no part.
  qputenv("SHELL", "/bin/sh");
  LaunchEnvironment env;
  env.boxlab = QStringLiteral(BOXLAB_BIN);
  env.root = root;
  env.isRoot = true;
  return std::make_unique<Session>(new ServeProcess(planServeLaunch(env)));
}

// `sleep 1000` in a container NAME of the base image, started through the engine (which then
// watches it). Returns what went wrong ("" when nothing did): no reply within timeoutMs, the
// engine's error, or another container watched.
inline QString runSleeper(Session& session, const QString& name, int timeoutMs) {
  bool replied = false;
  QString problem;
  session.runContainer(
      {{QStringLiteral("image"), QStringLiteral("base")},
       {QStringLiteral("name"), name},
       {QStringLiteral("command"), QJsonArray{QStringLiteral("sleep"), QStringLiteral("1000")}}},
      [&](const ReplyEvent& r) {
        replied = true;
        if (!r.ok) problem = QStringLiteral("run %1: %2").arg(name, r.error);
      });
  if (!QTest::qWaitFor([&] { return replied; }, timeoutMs))
    return QStringLiteral("run %1: no reply").arg(name);
  if (problem.isEmpty() && session.watched() != name)
    problem =
        QStringLiteral("run %1: the engine watches '%2' instead").arg(name, session.watched());
  return problem;
}

// The end of a lab test: the lab reset through the engine (its containers and answers go), the
// engine stopped, then any container still listed removed. Returns what went wrong ("" when
// nothing did): no reply to lab.reset within timeoutMs, or the containers that were left.
inline QString endLabSession(std::unique_ptr<Session>& session, const QString& root,
                             const QString& lab, int timeoutMs) {
  QString problem;
  bool reset = false;
  session->client()->request(QStringLiteral("lab.reset"), {{QStringLiteral("lab"), lab}},
                             [&](const ReplyEvent&) { reset = true; });
  if (!QTest::qWaitFor([&] { return reset; }, timeoutMs))
    problem = QStringLiteral("no reply to lab.reset ");
  session->stop();
  session.reset();
  QString left =
      runBoxlab(root, {QStringLiteral("ps"), QStringLiteral("-a"), QStringLiteral("-q")});
  for (const QString& name : left.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
    runBoxlab(root, {QStringLiteral("rm"), QStringLiteral("-f"), name});
  if (!left.trimmed().isEmpty()) problem += QStringLiteral("left: ") + left;
  return problem;
}

}  // namespace boxlab::gui::test
