// What the root GUI tests share: the boxlab CLI over a test's own --root, and a Session on
// `boxlab serve` run as root over it.
#pragma once

#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>
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
  LaunchEnvironment env;
  env.boxlab = QStringLiteral(BOXLAB_BIN);
  env.root = root;
  env.isRoot = true;
  return std::make_unique<Session>(new ServeProcess(planServeLaunch(env)));
}

}  // namespace boxlab::gui::test
