// Issue 6's "Done means", on the real engine (label root): lab 6 opened in the app's Session
// opens the host shell by itself (in the lab's answers folder, in the console's first tab);
// the lab's own commands typed there start lab06-box, which the app then watches without being
// told (monitor on); 20 MiB fill the tmpfs, the hog meets the 32 MiB limit, and then the memory
// line has climbed to the limit, the chart has the OOM mark, the hog is marked OOM-killed in the
// process tree, and step 3 ("A hog meets the limit") turns green from serve's live checks.
// Meanwhile the tree never lists a process the scene did not start (issue 18: the checks leave
// no trace).
#include <unistd.h>

#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include "console_tabs.hpp"
#include "root_support.hpp"
#include "session.hpp"
#include "terminal_widget.hpp"

using namespace boxlab::gui;

namespace {
constexpr int kTimeout = 90000;

// The process tree's rows (all levels) that hold `role` true, by command.
QStringList rowsWith(const QAbstractItemModel* m, int role, const QModelIndex& parent = {}) {
  QStringList out;
  for (int r = 0; r < m->rowCount(parent); ++r) {
    QModelIndex i = m->index(r, ProcessTreeModel::CommandColumn, parent);
    if (i.data(role).toBool()) out << i.data(ProcessTreeModel::CommRole).toString();
    out << rowsWith(m, role, i);
  }
  return out;
}
}  // namespace

class RootHogTest : public QObject {
  Q_OBJECT
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-hog-XXXXXX")};
  QTemporaryDir state_{QStringLiteral("/tmp/boxlab-gui-hog-state-XXXXXX")};
  std::unique_ptr<Session> session_;
  std::unique_ptr<ConsoleTabs> consoles_;
  QString lab_;
  QString cwd_;
  QStringList messages_;
  QSet<QString> seen_;  // every command the tree ever listed for lab06-box

  void record(const QModelIndex& parent, int first, int last) {
    ProcessTreeModel* tree = session_->processes();
    if (tree->container() != QLatin1String("lab06-box")) return;
    for (int r = first; r <= last; ++r) {
      QModelIndex i = tree->index(r, ProcessTreeModel::CommandColumn, parent);
      seen_.insert(i.data(ProcessTreeModel::CommRole).toString());
      if (tree->rowCount(i) > 0) record(i, 0, tree->rowCount(i) - 1);
    }
  }

  QString hostScreen() const {
    TerminalWidget* t = consoles_->hostTerminal();
    return t ? t->screenText() : QString();
  }
  void type(const QByteArray& text) { session_->sendInput(session_->hostShellSession(), text); }
  QString status(int row) const {
    return session_->checks()->index(row, 0).data(CheckModel::StatusRole).toString();
  }

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("needs root: starts boxlab serve and real containers");
    QVERIFY(root_.isValid() && state_.isValid());
    test::useLabsFromSource(state_.path());
    qputenv("SHELL", "/bin/sh");  // the same prompt whatever the tester's shell
    QString out;
    QVERIFY2(test::prepareRoot(root_.path(), &out), qPrintable(out));
    session_ = test::makeRootSession(root_.path());
    connect(session_.get(), &Session::message, this, [this](const QString& m) {
      messages_ << m;
      qInfo("engine: %s", qPrintable(m));
    });
    // The console as the main window wires it.
    consoles_ = std::make_unique<ConsoleTabs>();
    connect(consoles_.get(), &ConsoleTabs::input, session_.get(), &Session::sendInput);
    connect(consoles_.get(), &ConsoleTabs::resized, session_.get(), &Session::resizeTerminal);
    connect(session_.get(), &Session::consoleOutput, consoles_.get(), &ConsoleTabs::feed);
    connect(session_.get(), &Session::consoleClosed, consoles_.get(), &ConsoleTabs::closed);
    connect(session_.get(), &Session::hostShellOpened, this,
            [this](const QString& s, const QString& cwd) {
              cwd_ = cwd;
              TerminalWidget* t = consoles_->addSession(s, ConsoleTabs::Kind::Host);
              session_->resizeTerminal(s, t->rows(), t->cols());
            });
    ProcessTreeModel* tree = session_->processes();
    connect(tree, &QAbstractItemModel::rowsInserted, this, &RootHogTest::record);
    connect(tree, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& a) { record(a.parent(), a.row(), a.row()); });
    consoles_->resize(900, 500);
    consoles_->show();
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
    QVERIFY(session_->client()->supports(QStringLiteral("host.shell")));
  }

  void openingLabSixOpensTheHostShellInItsAnswersFolder() {
    LabListModel* labs = session_->labs();
    QTRY_VERIFY_WITH_TIMEOUT(
        session_->labsAvailable() && labs->findLab(QStringLiteral("06")).isValid(), kTimeout);
    lab_ = labs->findLab(QStringLiteral("06")).data(LabListModel::LabIdRole).toString();
    QCOMPARE(lab_, QStringLiteral("06-cgroup-memory"));
    QVERIFY(session_->hostShellSession().isEmpty());
    session_->openStep(lab_, 1);
    QTRY_VERIFY_WITH_TIMEOUT(!session_->hostShellSession().isEmpty(), kTimeout);
    QVERIFY2(cwd_.startsWith(state_.path()), qPrintable(cwd_));
    QVERIFY(session_->labContainers().contains(QStringLiteral("lab06-box")));
    QVERIFY(session_->isLabContainer(QStringLiteral("lab06-anything")));
    QVERIFY(!session_->isLabContainer(QStringLiteral("lab07-box")));
    // The first tab, named as the host, at a prompt.
    QCOMPARE(consoles_->tabs()->count(), 1);
    QVERIFY(consoles_->tabs()->tabText(0).contains(QStringLiteral("Host shell")));
    QCOMPARE(consoles_->hostSession(), session_->hostShellSession());
    QTRY_VERIFY_WITH_TIMEOUT(hostScreen().contains(QLatin1Char('#')), kTimeout);
    type("pwd\r");
    QTRY_VERIFY_WITH_TIMEOUT(hostScreen().contains(cwd_), kTimeout);
  }

  void theHogMeetsTheLimitAndTheStepTurnsGreen() {
    QVERIFY(session_->watched().isEmpty());
    // Step 1 as the lab says: the app follows lab06-box by itself.
    type("boxlab run -d --name lab06-box --memory 32M base sleep 1000\r");
    QTRY_COMPARE_WITH_TIMEOUT(session_->watched(), QStringLiteral("lab06-box"), kTimeout);
    ResourceSeries* res = session_->resources();
    QTRY_VERIFY_WITH_TIMEOUT(res->last() && res->last()->memoryLimit, kTimeout);
    const double limit = *res->last()->memoryLimit;
    QCOMPARE(limit, 32.0 * 1024 * 1024);
    // The cgroup panel's files, read by serve (inspect's cgroupFiles) under this host's names.
    CgroupFilesModel* files = session_->cgroupFiles();
    session_->refreshCgroupFiles();
    QTRY_VERIFY_WITH_TIMEOUT(files->directoryCount() > 0, kTimeout);
    bool v2 = files->layout() == QLatin1String("v2");
    QCOMPARE(
        files->value(v2 ? QStringLiteral("memory.max") : QStringLiteral("memory.limit_in_bytes")),
        QStringLiteral("33554432"));
    QVERIFY(
        !files
             ->findFile(v2 ? QStringLiteral("memory.limit_in_bytes") : QStringLiteral("memory.max"))
             .isValid());
    QVERIFY(files->findFile(QStringLiteral("pids.max")).isValid());
    QVERIFY(!files->findFile(QStringLiteral("memory.stat")).isValid());  // left out: long
    QTRY_VERIFY_WITH_TIMEOUT(session_->processes()->liveCount() >= 1, kTimeout);

    // Steps 2 and 3: the learner opens step 3 and types the fill, then the hog.
    session_->openStep(lab_, 3);
    CheckModel* checks = session_->checks();
    QTRY_VERIFY_WITH_TIMEOUT(checks->stepId() == QLatin1String("hog") && checks->rowCount() == 4 &&
                                 status(0) != QLatin1String("not run"),
                             kTimeout);
    QVERIFY(!checks->allPassed());
    QCOMPARE(session_->hostShellSession(), consoles_->hostSession());  // still the one shell
    type(
        "boxlab exec lab06-box -- dd if=/dev/zero of=/dev/shm/fill bs=1M count=20; echo fill-$?\r");
    QTRY_VERIFY_WITH_TIMEOUT(hostScreen().contains(QStringLiteral("fill-0")), kTimeout);
    // The fill's process is gone from the tree before the hog starts (as when a learner types
    // the next command): a process that exits right before an OOM kill would take its mark.
    ProcessTreeModel* tree = session_->processes();
    QTRY_VERIFY_WITH_TIMEOUT(tree->deadCount() == 0 && tree->liveCount() == 1, kTimeout);
    QSignalSpy passed(session_.get(), &Session::stepPassed);
    type("boxlab exec lab06-box -- tail /dev/zero; echo $? > hog-exit; echo hog-$(cat hog-exit)\r");
    QTRY_VERIFY_WITH_TIMEOUT(hostScreen().contains(QStringLiteral("hog-137")), kTimeout);
    // exec says why, as run does (the terminal may wrap the line anywhere).
    QVERIFY2(hostScreen()
                 .remove(QRegularExpression(QStringLiteral("\\s")))
                 .contains(QStringLiteral("OOMkillerended1process")),
             qPrintable(hostScreen()));

    // The chart: the OOM mark, and the memory line came up to the limit.
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(res->marks().begin(), res->marks().end(),
                                         [](const ResourceSeries::Mark& m) {
                                           return m.event == QLatin1String("oom_kill");
                                         }),
                             kTimeout);
    // (The sample after the kill carries the cgroup's peak; the event may come before it.)
    QTRY_VERIFY2_WITH_TIMEOUT(res->peakMemory() >= 0.9 * limit,
                              qPrintable(QString::number(res->peakMemory())), kTimeout);
    // The tree: the hog vanished with an OOM mark (as `tail`, or, when it lived and died
    // between two samples, as the row saying so); lab06-box's sleep lives on.
    QStringList killed;
    QTRY_VERIFY_WITH_TIMEOUT(
        !(killed = rowsWith(session_->processes(), ProcessTreeModel::OomKilledRole)).isEmpty(),
        kTimeout);
    QVERIFY2(killed.contains(QStringLiteral("tail")) ||
                 killed.filter(QStringLiteral("short-lived")).size() == 1,
             qPrintable(killed.join(QLatin1Char(','))));
    qInfo("OOM-killed in the tree: %s", qPrintable(killed.join(QLatin1Char(','))));
    QVERIFY(session_->processes()->liveCount() >= 1);
    QCOMPARE(session_->watched(), QStringLiteral("lab06-box"));
    // The step turns green: serve's live checks, every check of step 3 passes.
    QTRY_VERIFY_WITH_TIMEOUT(
        session_->labs()->findStep(lab_, 3).data(LabListModel::PassedRole).toBool(), kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(checks->allPassed(), kTimeout);
    for (int r = 0; r < checks->rowCount(); ++r) QCOMPARE(status(r), QStringLiteral("pass"));
    QVERIFY(passed.count() >= 1);
    // The scene's processes only: sleep, the fill's dd, the hog (or the row for a victim too
    // short-lived to sample).
    QStringList seen(seen_.begin(), seen_.end());
    qInfo("listed in lab06-box: %s", qPrintable(seen.join(QLatin1Char(','))));
    for (const QString& c : seen_)
      QVERIFY2(c == QLatin1String("sleep") || c == QLatin1String("dd") ||
                   c == QLatin1String("tail") || c.contains(QLatin1String("short-lived")),
               qPrintable(c));
    QVERIFY2(messages_.isEmpty(), qPrintable(messages_.join(QLatin1Char('\n'))));
  }

  void cleanupTestCase() {
    if (!session_) return;
    QString problem = test::endLabSession(session_, root_.path(), lab_, kTimeout);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
  }
};

QTEST_MAIN(RootHogTest)
#include "root_hog_test.moc"
