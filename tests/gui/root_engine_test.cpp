// The GUI's models on the real engine (label root): boxlab serve started by the app's own
// Session, lab 2's container (its own pid and mount namespaces, sh -c 'sleep 1000; echo done')
// whose pid 1 maps to a host pid in the tree model, and a memory hog under a 32M limit whose
// OOM kill reaches the chart model and marks the process in the tree.
#include <unistd.h>

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <functional>

#include "engine.hpp"
#include "root_support.hpp"
#include "session.hpp"
#include "terminal_widget.hpp"

using namespace boxlab::gui;
using boxlab::gui::test::runBoxlab;

namespace {
constexpr int kTimeout = 60000;

// NSpid of a host pid as the kernel reports it, read by the test itself.
QList<qint64> nspidOf(qint64 pid) {
  QFile f(QStringLiteral("/proc/%1/status").arg(pid));
  if (!f.open(QIODevice::ReadOnly)) return {};
  for (const QByteArray& line : f.readAll().split('\n'))
    if (line.startsWith("NSpid:")) {
      QList<qint64> out;
      for (const QByteArray& v : line.mid(6).simplified().split(' ')) out << v.toLongLong();
      return out;
    }
  return {};
}

}  // namespace

class RootEngineTest : public QObject {
  Q_OBJECT
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-test-XXXXXX")};
  std::unique_ptr<Session> session_;
  QString suffix_ = QString::number(QCoreApplication::applicationPid());

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("needs root: starts boxlab serve and real containers");
    QVERIFY(root_.isValid());
    QString out;
    QVERIFY2(test::prepareRoot(root_.path(), &out), qPrintable(out));
    session_ = test::makeRootSession(root_.path());
    QStringList messages;
    connect(session_.get(), &Session::message, this,
            [&](const QString& m) { qInfo("engine: %s", qPrintable(m)); });
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
    QCOMPARE(session_->client()->hello().value(QStringLiteral("backend")).toString(),
             QStringLiteral("real"));
  }

  void pid1OfTheContainerMapsToAHostPid() {
    QString name = QStringLiteral("lab02-gui-") + suffix_;
    qint64 hostPid = 0;
    bool replied = false;
    session_->runContainer(
        {{QStringLiteral("image"), QStringLiteral("base")},
         {QStringLiteral("name"), name},
         {QStringLiteral("ns"), QStringLiteral("pid,mount")},
         {QStringLiteral("command"), QJsonArray{QStringLiteral("sh"), QStringLiteral("-c"),
                                                QStringLiteral("sleep 1000; echo done")}}},
        [&](const ReplyEvent& r) {
          replied = true;
          QVERIFY2(r.ok, qPrintable(r.error));
          hostPid = r.body.value(QStringLiteral("pid")).toInteger();
        });
    QTRY_VERIFY_WITH_TIMEOUT(replied, kTimeout);
    QVERIFY(hostPid > 1);
    QCOMPARE(session_->watched(), name);
    ProcessTreeModel* tree = session_->processes();
    // pid 1 inside is the shell, at the host pid serve reported; sleep is its child, pid 2.
    QTRY_VERIFY_WITH_TIMEOUT(
        tree->indexOfPid(hostPid).isValid() && tree->rowCount(tree->indexOfPid(hostPid)) == 1,
        kTimeout);
    QModelIndex pid1 = tree->indexOfPid(hostPid);
    QCOMPARE(pid1.data(ProcessTreeModel::InsidePidRole).toLongLong(), 1);
    QCOMPARE(pid1.data(ProcessTreeModel::CommRole).toString(), QStringLiteral("sh"));
    QCOMPARE(pid1.data().toString(), QStringLiteral("sh -c sleep 1000; echo done"));  // args
    QCOMPARE(pid1.data(ProcessTreeModel::NsDepthRole).toInt(), 1);
    QModelIndex sleep = tree->index(0, 0, pid1);
    QCOMPARE(sleep.data(ProcessTreeModel::CommRole).toString(), QStringLiteral("sleep"));
    QCOMPARE(sleep.data(ProcessTreeModel::InsidePidRole).toLongLong(), 2);
    qint64 sleepHost = sleep.data(ProcessTreeModel::HostPidRole).toLongLong();
    // The kernel agrees: NSpid of those host pids ends in 1 and 2.
    QCOMPARE(nspidOf(hostPid), (QList<qint64>{hostPid, 1}));
    QCOMPARE(nspidOf(sleepHost), (QList<qint64>{sleepHost, 2}));
    // The container view numbers them as the container does.
    tree->setView(ProcessTreeModel::View::Container);
    QCOMPARE(tree->data(tree->indexOfPid(hostPid, ProcessTreeModel::PidColumn)).toLongLong(), 1);
    tree->setView(ProcessTreeModel::View::Host);
    // Its own pid and mount namespaces, the host's uts.
    NamespaceModel* ns = session_->namespaces();
    QTRY_VERIFY_WITH_TIMEOUT(ns->separateCount() == 2, kTimeout);
    // Its mounts came through exec: / is the overlay and /proc is a fresh proc.
    MountModel* mounts = session_->mounts();
    QTRY_VERIFY_WITH_TIMEOUT(mounts->rowCount() > 0, kTimeout);
    bool proc = false;
    for (const auto& m : mounts->mounts())
      proc = proc || (m.mountPoint == QLatin1String("/proc") && m.type == QLatin1String("proc"));
    QVERIFY(proc);
  }

  void memoryHogOomKillReachesTheChart() {
    QString name = QStringLiteral("hog-gui-") + suffix_;
    bool replied = false;
    session_->runContainer(
        {{QStringLiteral("image"), QStringLiteral("base")},
         {QStringLiteral("name"), name},
         {QStringLiteral("memory"), QStringLiteral("32M")},
         {QStringLiteral("command"), QJsonArray{QStringLiteral("sh"), QStringLiteral("-c"),
                                                QStringLiteral("x=a; while :; do x=$x$x; done")}}},
        [&](const ReplyEvent& r) {
          replied = true;
          QVERIFY2(r.ok, qPrintable(r.error));
        });
    QTRY_VERIFY_WITH_TIMEOUT(replied, kTimeout);
    ResourceSeries* series = session_->resources();
    auto oomKills = [&] {
      qint64 n = 0;
      for (const auto& m : series->marks())
        if (m.event == QLatin1String("oom_kill")) n += m.count;
      return n;
    };
    QTRY_VERIFY_WITH_TIMEOUT(oomKills() >= 1, kTimeout);
    QCOMPARE(series->container(), name);
    QVERIFY(!series->samples().empty());
    QCOMPARE(series->samples().back().memoryLimit.value_or(0), 32.0 * 1024 * 1024);
    // The killed shell is marked in the tree (its row stays for a moment, struck and red).
    QTRY_VERIFY_WITH_TIMEOUT(session_->processes()->oomKilledCount() >= 1, kTimeout);
  }

  // The console is a real pty session: a shell in the container, its output on the terminal
  // widget, a resize that stty sees, and Ctrl+C typed on the widget interrupting a sleep.
  void consoleIsARealTty() {
    QString name = QStringLiteral("lab02-gui-") + suffix_;  // still running from the first test
    TerminalWidget term;
    term.resize(900, 500);
    term.show();
    QString session;
    bool replied = false;
    session_->openTerminal(name, {QStringLiteral("sh")}, [&](const QString& s) {
      session = s;
      replied = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(replied, kTimeout);
    QVERIFY(!session.isEmpty());
    connect(session_.get(), &Session::consoleOutput, &term,
            [&](const QString& s, const QByteArray& d) {
              if (s == session) term.feed(d);
            });
    connect(&term, &TerminalWidget::input, &term,
            [&](const QByteArray& b) { session_->sendInput(session, b); });
    session_->resizeTerminal(session, 33, 77);
    QTRY_VERIFY_WITH_TIMEOUT(term.screenText().contains(QLatin1Char('#')), kTimeout);
    QTest::keyClicks(&term, QStringLiteral("stty size; echo pid=$$"));
    QTest::keyClick(&term, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(term.screenText().contains(QStringLiteral("33 77")), kTimeout);
    QVERIFY(term.screenText().contains(QStringLiteral("pid=")));
    QTest::keyClicks(&term, QStringLiteral("sleep 300"));
    QTest::keyClick(&term, Qt::Key_Return);
    // Once sleep runs, ^C from the widget reaches it through the pty: 130 = 128 + SIGINT.
    ProcessTreeModel* tree = session_->processes();
    // Live `sleep`s anywhere in the tree: sleep 1000 (under pid 1) and then sleep 300.
    std::function<int(const QModelIndex&)> sleeps = [&](const QModelIndex& parent) {
      int n = 0;
      for (int r = 0; r < tree->rowCount(parent); ++r) {
        QModelIndex i = tree->index(r, 0, parent);
        if (i.data(ProcessTreeModel::CommRole).toString() == QLatin1String("sleep") &&
            !i.data(ProcessTreeModel::DeadRole).toBool())
          ++n;
        n += sleeps(i);
      }
      return n;
    };
    auto sleeping300 = [&] { return sleeps({}) >= 2; };
    if (session_->watched() != name) session_->watch(name);
    QTRY_VERIFY_WITH_TIMEOUT(sleeping300(), kTimeout);
    QTest::keyClick(&term, Qt::Key_C, Qt::ControlModifier);
    // The interactive shell drops the rest of an interrupted line: ask for the status next.
    QTRY_VERIFY_WITH_TIMEOUT(term.screenText().contains(QStringLiteral("^C")), kTimeout);
    QTest::keyClicks(&term, QStringLiteral("echo status=$?"));
    QTest::keyClick(&term, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(term.screenText().contains(QStringLiteral("status=130")), kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(sleeps({}) == 1, kTimeout);  // sleep 300 is gone from the tree
    QTest::keyClicks(&term, QStringLiteral("exit"));
    QTest::keyClick(&term, Qt::Key_Return);
  }

  void cleanupTestCase() {
    if (!session_) return;
    session_->stop();  // EOF: serve removes the containers it started
    session_.reset();
    QString left =
        runBoxlab(root_.path(), {QStringLiteral("ps"), QStringLiteral("-a"), QStringLiteral("-q")});
    QVERIFY2(left.trimmed().isEmpty(), qPrintable(left));
  }
};

QTEST_MAIN(RootEngineTest)
#include "root_engine_test.moc"
