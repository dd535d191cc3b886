// The namespaces view's security section on the real engine (label root): a default container
// started through the app's Session and a --privileged one started with the CLI, each watched
// in turn. The section must show Docker's confinement for the first (14 capabilities, CapEff
// 00000000a80425fb, seccomp mode 2 with Docker's profile, a device allow-list) and none for the
// second (the engine's own capabilities, seccomp mode 0, every device, marked privileged).
#include <unistd.h>

#include <QApplication>
#include <QFile>
#include <QLabel>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include "mount_model.hpp"
#include "namespace_model.hpp"
#include "namespace_view.hpp"
#include "root_support.hpp"
#include "security_model.hpp"
#include "session.hpp"

using namespace boxlab::gui;

namespace {
constexpr int kTimeout = 60000;

// How many capabilities this process holds in its effective set: the engine runs as this
// user, so a --privileged container (which keeps the engine's sets) holds as many.
int ownEffectiveCount() {
  QFile status(QStringLiteral("/proc/self/status"));
  if (!status.open(QIODevice::ReadOnly)) return -1;
  for (const QByteArray& line : status.readAll().split('\n'))
    if (line.startsWith("CapEff:")) {
      bool ok = false;
      quint64 mask = line.mid(7).trimmed().toULongLong(&ok, 16);
      return ok ? qPopulationCount(mask) : -1;
    }
  return -1;
}
}  // namespace

class RootSecurityTest : public QObject {
  Q_OBJECT
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-security-XXXXXX")};
  std::unique_ptr<Session> session_;
  QString pid_ = QString::number(QCoreApplication::applicationPid());
  QString default_ = QStringLiteral("sec-default-") + pid_;
  QString privileged_ = QStringLiteral("sec-privileged-") + pid_;

  QString runBoxlab(const QStringList& args, int* code = nullptr) {
    return test::runBoxlab(root_.path(), args, code);
  }

  // Watches `name` and waits for its container.security (a copy: the next one replaces it).
  SecurityEvent securityOf(const QString& name) {
    session_->watch(name);
    SecurityModel* model = session_->security();
    [&] { QTRY_VERIFY_WITH_TIMEOUT(model->hasData() && model->container() == name, kTimeout); }();
    return model->current();
  }

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("needs root: starts boxlab serve and containers");
    QVERIFY(root_.isValid());
    QString out;
    QVERIFY2(test::prepareRoot(root_.path(), &out), qPrintable(out));
    int code = -1;
    out = runBoxlab({QStringLiteral("run"), QStringLiteral("-d"), QStringLiteral("--privileged"),
                     QStringLiteral("--name"), privileged_, QStringLiteral("base"),
                     QStringLiteral("--"), QStringLiteral("sleep"), QStringLiteral("1000")},
                    &code);
    QVERIFY2(code == 0, qPrintable(out));
    session_ = test::makeRootSession(root_.path());
    connect(session_.get(), &Session::message, this,
            [](const QString& m) { qInfo("engine: %s", qPrintable(m)); });
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
    QString problem = test::runSleeper(*session_, default_, kTimeout);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
  }

  void defaultAndPrivilegedDiffer() {
    NamespaceView view(session_->namespaces(), session_->security(), session_->mounts());
    view.resize(700, 600);
    view.show();

    const SecurityEvent confined = securityOf(default_);
    QCOMPARE(confined.effective.names.size(), 14);
    QCOMPARE(confined.effective.mask, QStringLiteral("00000000a80425fb"));
    QCOMPARE(confined.bounding.names.size(), 14);
    QVERIFY(confined.effective.names.contains(QStringLiteral("CAP_NET_RAW")));
    QVERIFY(!confined.effective.names.contains(QStringLiteral("CAP_SYS_ADMIN")));
    QVERIFY(confined.ambient.known && confined.ambient.names.isEmpty());
    QCOMPARE(confined.seccompMode.value_or(-1), 2);
    QCOMPARE(confined.profile, QStringLiteral("docker-default"));
    QVERIFY(confined.capsFromSpec);
    QVERIFY(!confined.privileged);
    QVERIFY2(confined.devicesSource == QLatin1String("cgroup-v1") ||
                 confined.devicesSource == QLatin1String("spec-v2"),
             qPrintable(confined.devicesSource));
    QVERIFY(!confined.devicesAllowAll);
    QVERIFY(!confined.devices.isEmpty());
    bool null = false;
    for (const auto& d : confined.devices) null = null || d.device == QLatin1String("/dev/null");
    QVERIFY(null);
    // What the learner reads: the counts in the row and the banner, the names under the row.
    SecurityModel* model = session_->security();
    QModelIndex eff = model->rowFor(QStringLiteral("effective"));
    QCOMPARE(model->rowCount(eff), 14);
    const int known = model->knownCapabilities();
    QVERIFY(known >= 38);
    QVERIFY(model->index(eff.row(), SecurityModel::ValueColumn)
                .data()
                .toString()
                .startsWith(QStringLiteral("14 of %1").arg(known)));
    QCOMPARE(model->rowCount(model->rowFor(QStringLiteral("dropped"))), known - 14);
    QVERIFY2(view.securityBanner()->text().contains(QStringLiteral("Confined")),
             qPrintable(view.securityBanner()->text()));
    // A row the learner opened stays open when the next container's rows come in.
    view.securityTree()->expand(model->rowFor(QStringLiteral("dropped")));

    const SecurityEvent open = securityOf(privileged_);
    QVERIFY(open.privileged);
    QVERIFY(!open.capsFromSpec);
    QCOMPARE(open.effective.names.size(), ownEffectiveCount());
    QVERIFY(open.effective.names.contains(QStringLiteral("CAP_SYS_ADMIN")));
    QCOMPARE(open.seccompMode.value_or(-1), 0);
    QCOMPARE(open.profile, QStringLiteral("unconfined"));
    QVERIFY(open.devicesAllowAll);
    QVERIFY(open.effective.names.size() > confined.effective.names.size());
    QVERIFY2(view.securityBanner()->text().contains(QStringLiteral("Privileged")),
             qPrintable(view.securityBanner()->text()));
    QVERIFY(view.securityTree()->isExpanded(model->rowFor(QStringLiteral("dropped"))));
  }

  void cleanupTestCase() {
    if (!session_) return;
    session_->stop();  // removes what serve started (the default container)
    session_.reset();
    runBoxlab({QStringLiteral("rm"), QStringLiteral("-f"), privileged_});
    QString left = runBoxlab({QStringLiteral("ps"), QStringLiteral("-a"), QStringLiteral("-q")});
    QVERIFY2(left.trimmed().isEmpty(), qPrintable(left));
  }
};

QTEST_MAIN(RootSecurityTest)
#include "root_security_test.moc"
