// File > Import image, "from a registry", on the real engine (label root): Debian's
// docker-registry on 127.0.0.1 at a free port holds the base image (pushed by the CLI from
// another root); the dialog pulls it through serve's image.pull with the bar and text fed by
// image.progress, and the store's list shows it; a bad reference and an unreachable registry
// end in one line each, and nothing is stored. PNGs of the dialog go to build/screenshots.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QProgressBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include "import_dialog.hpp"
#include "import_progress.hpp"
#include "root_support.hpp"
#include "session.hpp"

using namespace boxlab::gui;

namespace {
constexpr int kTimeout = 60000;

QString shots() {
  QString dir = QStringLiteral(BOXLAB_BINARY_DIR "/screenshots");
  QDir().mkpath(dir);
  return dir;
}

QStringList listed(QTreeWidget* list) {
  QStringList out;
  for (int i = 0; i < list->topLevelItemCount(); ++i) out << list->topLevelItem(i)->text(0);
  return out;
}

// 127.0.0.1:port, as a socket address.
sockaddr_in loopback(quint16 port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A loopback port nothing listens on once this returns (the GUI links no Qt Network).
quint16 freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    a.sin_port = 0;
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts(quint16 port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

class RootPullTest : public QObject {
  Q_OBJECT
  QTemporaryDir from_{QStringLiteral("/tmp/boxlab-gui-pull-from-XXXXXX")};
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-pull-XXXXXX")};
  QTemporaryDir registryDir_{QStringLiteral("/tmp/boxlab-gui-registry-XXXXXX")};
  QProcess registry_;
  QString host_;
  std::unique_ptr<Session> session_;

  QString boxlab(const QString& root, const QStringList& args) {
    int code = -1;
    QString out = test::runBoxlab(root, args, &code);
    if (code != 0)
      qWarning("boxlab %s: %s", qPrintable(args.join(QLatin1Char(' '))), qPrintable(out));
    return out;
  }

  // docker-registry with its storage in registryDir_, on 127.0.0.1 at a free port.
  bool startRegistry() {
    quint16 port = freePort();
    host_ = QStringLiteral("127.0.0.1:%1").arg(port);
    QFile cfg(registryDir_.filePath(QStringLiteral("config.yml")));
    if (!cfg.open(QIODevice::WriteOnly)) return false;
    cfg.write(QStringLiteral("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                             "    rootdirectory: %1\nhttp:\n  addr: %2\n")
                  .arg(registryDir_.filePath(QStringLiteral("storage")), host_)
                  .toUtf8());
    cfg.close();
    registry_.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    registry_.start(QStringLiteral("/usr/bin/docker-registry"),
                    {QStringLiteral("serve"), cfg.fileName()});
    if (!registry_.waitForStarted(10000)) return false;
    return port != 0 && QTest::qWaitFor([&] { return accepts(port); }, 10000);
  }

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("needs root: starts boxlab serve");
    if (!QFile::exists(QStringLiteral("/usr/bin/docker-registry")))
      QSKIP("docker-registry is not installed (./kit installs it)");
    QStandardPaths::setTestModeEnabled(true);  // the dialog's QSettings stay out of ~/.config
    QVERIFY(from_.isValid() && root_.isValid() && registryDir_.isValid());
    QVERIFY(startRegistry());
    QVERIFY(boxlab(from_.path(), {QStringLiteral("image"), QStringLiteral("build-base")})
                .startsWith(QStringLiteral("sha256:")));
    QVERIFY(boxlab(from_.path(),
                   {QStringLiteral("image"), QStringLiteral("push"), QStringLiteral("--insecure"),
                    QStringLiteral("base"), host_ + QStringLiteral("/course/base")})
                .startsWith(QStringLiteral("sha256:")));
    session_ = test::makeRootSession(root_.path());
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
    QVERIFY(session_->canPullImages());
  }

  void pullShowsProgressThenTheImage() {
    ImportDialog dialog(session_.get());
    dialog.resize(640, 480);
    dialog.show();
    QString ref = host_ + QStringLiteral("/course/base");
    QStringList running;  // the texts the learner saw while it ran
    connect(dialog.progress(), &ImportProgress::changed, &dialog, [&] {
      if (dialog.running()) running << dialog.statusText();
    });
    QSignalSpy imported(&dialog, &ImportDialog::imported);
    QSignalSpy refreshed(&dialog, &ImportDialog::imagesRefreshed);
    dialog.pull(ref, {}, true);
    QCOMPARE(dialog.mode(), ImportDialog::Mode::registry);
    QVERIFY(dialog.running());
    QTRY_COMPARE_WITH_TIMEOUT(imported.count(), 1, kTimeout);
    QVERIFY(!running.isEmpty());
    QVERIFY2(running.last().startsWith(QStringLiteral("Pulling ") + ref + QStringLiteral("\n")),
             qPrintable(running.last()));
    QVERIFY2(running.last().contains(QStringLiteral(" of ")), qPrintable(running.last()));
    QCOMPARE(imported.at(0).at(0).toString(), ref);
    QString digest = imported.at(0).at(1).toString();
    QVERIFY(boxlab(from_.path(),
                   {QStringLiteral("image"), QStringLiteral("inspect"), QStringLiteral("base")})
                .contains(digest));
    QCOMPARE(dialog.progressBar()->value(), 100);
    QVERIFY2(dialog.statusText().startsWith(QStringLiteral("Pulled ") + ref +
                                            QStringLiteral(": sha256:")),
             qPrintable(dialog.statusText()));
    // The dialog's own first listing (from before the pull) may answer after the spy is set:
    // wait for the listing that has the image.
    QTRY_VERIFY_WITH_TIMEOUT(refreshed.count() >= 1 && listed(dialog.imageList()).contains(ref),
                             kTimeout);
    QVERIFY(dialog.grab().save(shots() + QStringLiteral("/pull-done.png")));
  }

  void badReferenceIsOneLineAndStoresNothing() {
    ImportDialog dialog(session_.get());
    dialog.resize(640, 480);
    dialog.show();
    // It opens on files, as before registries came.
    QCOMPARE(dialog.mode(), ImportDialog::Mode::file);
    QVERIFY(dialog.grab().save(shots() + QStringLiteral("/import-file-mode.png")));
    QSignalSpy finished(dialog.progress(), &ImportProgress::finished);
    dialog.pull(host_ + QStringLiteral("/Course/Base"));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeout);
    QCOMPARE(finished.at(0).at(0).toBool(), false);
    QCOMPARE(dialog.statusText(),
             QStringLiteral("Pull failed:\nimage reference '%1/Course/Base': repository "
                            "'Course/Base' must be lowercase letters, digits and . _ - "
                            "separated by /")
                 .arg(host_));
    QCOMPARE(dialog.progressBar()->format(), QStringLiteral("failed"));
    QVERIFY(dialog.grab().save(shots() + QStringLiteral("/pull-bad-reference.png")));
  }

  void unreachableRegistryIsOneLineAndStoresNothing() {
    ImportDialog dialog(session_.get());
    dialog.resize(640, 480);
    dialog.show();
    QSignalSpy finished(dialog.progress(), &ImportProgress::finished);
    QString ref = QStringLiteral("127.0.0.1:%1/course/base").arg(freePort());
    dialog.pull(ref, {}, true);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(!dialog.running() && dialog.statusText().contains(ref), kTimeout);
    QVERIFY2(dialog.statusText().startsWith(QStringLiteral("Pull failed:\npull ") + ref +
                                            QStringLiteral(":latest: ")),
             qPrintable(dialog.statusText()));
    QCOMPARE(dialog.statusText().count(QLatin1Char('\n')), 1);
    QVERIFY(dialog.grab().save(shots() + QStringLiteral("/pull-unreachable.png")));
    // Only the first test's image is in the store, and no pull left a work dir.
    QTRY_COMPARE_WITH_TIMEOUT(listed(dialog.imageList()),
                              QStringList{host_ + QStringLiteral("/course/base")}, kTimeout);
    QVERIFY(QDir(root_.filePath(QStringLiteral("images/tmp"))).isEmpty());
  }

  void cleanupTestCase() {
    if (session_) session_->stop();
    if (registry_.state() != QProcess::NotRunning) {
      registry_.terminate();  // its own pid
      registry_.waitForFinished(10000);
    }
  }
};

QTEST_MAIN(RootPullTest)
#include "root_pull_test.moc"
