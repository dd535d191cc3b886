// The lab flow of the GUI on the real engine (label root): boxlab serve started by the app's
// own Session with its own --root, labs dir and progress dir; lab 01 opened in the models and
// in the checks panel; check.result events from serve's live checks fill the checks; hints come
// one at a time; the step's solution, run with the boxlab CLI in the same root, turns the step
// green through lab.step; and with live checking off, Check now alone turns the next step green.
#include <unistd.h>

#include <QApplication>
#include <QJsonArray>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include "checks_panel.hpp"
#include "engine.hpp"
#include "lab_navigator.hpp"
#include "root_support.hpp"
#include "session.hpp"

using namespace boxlab::gui;

namespace {
constexpr int kTimeout = 90000;
}  // namespace

class RootLabTest : public QObject {
  Q_OBJECT
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-lab-XXXXXX")};
  QTemporaryDir state_{QStringLiteral("/tmp/boxlab-gui-lab-state-XXXXXX")};
  std::unique_ptr<Session> session_;
  std::unique_ptr<ChecksPanel> panel_;
  std::unique_ptr<LabNavigator> navigator_;
  QString lab_;
  QString instructions_;
  QStringList messages_;

  // `boxlab --root R ARGS` with the same labs and progress as serve; its output on failure.
  bool boxlab(const QStringList& args, QString* out = nullptr, bool quiet = false) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral(BOXLAB_BIN), QStringList{QStringLiteral("--root"), root_.path()} + args);
    bool done = p.waitForFinished(120000);
    QString text = QString::fromUtf8(p.readAll());
    if (out) *out = text;
    if (!done || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
      if (!quiet)
        qWarning("boxlab %s failed:\n%s", qPrintable(args.join(QLatin1Char(' '))),
                 qPrintable(text));
      return false;
    }
    return true;
  }

  QString status(int row) const {
    return session_->checks()->index(row, 0).data(CheckModel::StatusRole).toString();
  }

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("needs root: starts boxlab serve and real containers");
    QVERIFY(root_.isValid() && state_.isValid());
    test::useLabsFromSource(state_.path());
    QString out;
    QVERIFY2(test::prepareRoot(root_.path(), &out), qPrintable(out));
    session_ = test::makeRootSession(root_.path());
    connect(session_.get(), &Session::message, this, [this](const QString& m) {
      messages_ << m;
      qInfo("engine: %s", qPrintable(m));
    });
    connect(session_.get(), &Session::stepOpened, this,
            [this](const QString&, int, const QString& text) { instructions_ = text; });
    // The widgets the main window wires the same way.
    panel_ = std::make_unique<ChecksPanel>(session_->checks());
    navigator_ = std::make_unique<LabNavigator>(session_->labs());
    connect(session_.get(), &Session::hintRevealed, panel_.get(), &ChecksPanel::addHint);
    connect(session_.get(), &Session::hintsKnown, panel_.get(), &ChecksPanel::setHintCount);
    connect(session_.get(), &Session::stepOpened, panel_.get(),
            [this](const QString&, int step) { panel_->setEnabledActions(step > 0); });
    connect(panel_.get(), &ChecksPanel::hintRequested, session_.get(), &Session::nextHint);
    connect(panel_.get(), &ChecksPanel::checkNowRequested, session_.get(), &Session::checkNow);
    panel_->resize(800, 400);
    panel_->show();
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
    QVERIFY(session_->client()->supports(QStringLiteral("lab.open")));
  }

  void labOneListsItsSteps() {
    LabListModel* labs = session_->labs();
    QTRY_VERIFY_WITH_TIMEOUT(
        session_->labsAvailable() && labs->findLab(QStringLiteral("01")).isValid(), kTimeout);
    QModelIndex lab = labs->findLab(QStringLiteral("01"));
    lab_ = lab.data(LabListModel::LabIdRole).toString();
    QCOMPARE(lab_, QStringLiteral("01-process-and-chroot"));
    QVERIFY2(lab.data(LabListModel::AvailableRole).toBool(),
             qPrintable(lab.data(Qt::ToolTipRole).toString()));
    QCOMPARE(labs->rowCount(lab), 4);
    QCOMPARE(labs->index(0, 0, lab).data(LabListModel::StepIdRole).toString(),
             QStringLiteral("proc"));
    QVERIFY(!labs->index(0, 0, lab).data(LabListModel::PassedRole).toBool());
  }

  void openingAStepFillsTheChecksFromLiveResults() {
    QVector<CheckResultEvent> results;
    QObject guard;  // the connection ends with this scope (received here, queued)
    connect(session_->client()->stream(), &EventStream::checkResult, &guard,
            [&](const CheckResultEvent& e) { results << e; });
    session_->openStep(lab_, 1);
    CheckModel* checks = session_->checks();
    QTRY_COMPARE_WITH_TIMEOUT(checks->rowCount(), 3, kTimeout);
    QCOMPARE(checks->stepId(), QStringLiteral("proc"));
    QVERIFY(instructions_.contains(QStringLiteral("/proc")));
    // Opened anew: the lab's introduction first (issue 18), then the step.
    QVERIFY(instructions_.startsWith(QLatin1String("# Lab 01")));
    QVERIFY(instructions_.indexOf(QLatin1String("## Step 1")) > 0);
    // lab.show brought the lab's INSTRUCTOR.md for the instructor view (issue 17).
    QVERIFY(session_->labs()
                ->findLab(lab_)
                .data(LabListModel::InstructorRole)
                .toString()
                .contains(QLatin1String("instructor notes")));
    // Every check got a result from serve's first live round (no "not run" left).
    QTRY_VERIFY_WITH_TIMEOUT(status(0) != QLatin1String("not run") &&
                                 status(1) != QLatin1String("not run") &&
                                 status(2) != QLatin1String("not run"),
                             kTimeout);
    QVERIFY(results.count() >= 3);
    for (const auto& e : results) {
      QCOMPARE(e.lab, lab_);
      QCOMPARE(e.step, QStringLiteral("proc"));
    }
    // Nothing is done yet: lab01-box does not exist, the answers depend on it.
    QCOMPARE(status(0), QStringLiteral("fail"));
    QCOMPARE(status(1), QStringLiteral("blocked"));
    QVERIFY(!checks->allPassed());
    QVERIFY(!session_->labs()->findStep(lab_, 1).data(LabListModel::PassedRole).toBool());
  }

  void hintsComeOneByOne() {
    auto* button = panel_->findChild<QPushButton*>(QString(), Qt::FindDirectChildrenOnly);
    QVERIFY(button);
    auto* hints = panel_->findChild<QTextBrowser*>();
    QVERIFY(hints);
    QSignalSpy revealed(session_.get(), &Session::hintRevealed);
    QTRY_VERIFY_WITH_TIMEOUT(button->isEnabled(), kTimeout);
    QCOMPARE(button->text(), QStringLiteral("&Hint (1 of 3)"));
    QTest::mouseClick(button, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(revealed.count(), 1, kTimeout);
    QCOMPARE(revealed[0].at(1).toInt(), 1);
    QCOMPARE(revealed[0].at(2).toInt(), 3);
    QString first = revealed[0].at(0).toString();
    QVERIFY(!first.isEmpty());
    QVERIFY(hints->isVisible());
    QVERIFY(hints->toPlainText().contains(QStringLiteral("Hint 1 of 3")));
    QVERIFY(!hints->toPlainText().contains(QStringLiteral("Hint 2 of 3")));
    QCOMPARE(button->text(), QStringLiteral("&Hint (2 of 3)"));
    QTest::mouseClick(button, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(revealed.count(), 2, kTimeout);
    QCOMPARE(revealed[1].at(1).toInt(), 2);
    QVERIFY(revealed[1].at(0).toString() != first);
    QVERIFY(hints->toPlainText().contains(QStringLiteral("Hint 2 of 3")));
    QVERIFY(!hints->toPlainText().contains(QStringLiteral("Hint 3 of 3")));
    // Saved in progress: the CLI sees two hints shown (it exits 1: the step fails still).
    QString out;
    boxlab({QStringLiteral("lab"), QStringLiteral("check"), QStringLiteral("01"),
            QStringLiteral("--step"), QStringLiteral("1"), QStringLiteral("-o"),
            QStringLiteral("json")},
           &out, true);
    QVERIFY2(out.contains(QRegularExpression(QStringLiteral("\"hintsShown\":\\s*2,"))),
             qPrintable(out.left(400)));
  }

  void theSolutionTurnsTheStepGreen() {
    QVector<LabStepEvent> steps;
    QObject guard;  // the connection ends with this scope (received here, queued)
    connect(session_->client()->stream(), &EventStream::labStep, &guard,
            [&](const LabStepEvent& e) { steps << e; });
    QSignalSpy passed(session_.get(), &Session::stepPassed);
    QVERIFY(boxlab({QStringLiteral("lab"), QStringLiteral("solve"), QStringLiteral("01"),
                    QStringLiteral("--step"), QStringLiteral("1")}));
    LabListModel* labs = session_->labs();
    QTRY_VERIFY_WITH_TIMEOUT(labs->findStep(lab_, 1).data(LabListModel::PassedRole).toBool(),
                             kTimeout);
    QCOMPARE(passed.count(), 1);
    QCOMPARE(passed[0].at(1).toInt(), 1);
    // The green came from serve's lab.step, and every visible check passes.
    bool sawPass = false;
    for (const auto& e : steps) sawPass = sawPass || e.passed;
    QVERIFY(sawPass);
    CheckModel* checks = session_->checks();
    QTRY_VERIFY_WITH_TIMEOUT(checks->allPassed(), kTimeout);
    for (int r = 0; r < checks->rowCount(); ++r) QCOMPARE(status(r), QStringLiteral("pass"));
    QCOMPARE(checks->points(), 3);
    QVERIFY(labs->findStep(lab_, 1).data(Qt::DisplayRole).toString().startsWith(QChar(0x2714)));
    QVERIFY(panel_->findChild<QLabel*>() != nullptr);
  }

  void checkNowWithoutLiveChecks() {
    CheckModel* checks = session_->checks();
    session_->openStep(lab_, 2);
    QTRY_VERIFY_WITH_TIMEOUT(checks->stepId() == QLatin1String("chroot") &&
                                 checks->rowCount() == 4 && status(0) != QLatin1String("not run"),
                             kTimeout);
    QVERIFY(!checks->allPassed());
    // Live checking off (the panel's "Re-check automatically" box does this).
    bool closed = false;
    session_->client()->request(QStringLiteral("lab.close"), {},
                                [&](const ReplyEvent& r) { closed = r.ok; });
    QTRY_VERIFY_WITH_TIMEOUT(closed, kTimeout);
    int results = 0;
    QObject guard;  // the connection ends with this scope (received here, queued)
    connect(session_->client()->stream(), &EventStream::checkResult, &guard,
            [&](const CheckResultEvent&) { ++results; });
    QVERIFY(boxlab({QStringLiteral("lab"), QStringLiteral("solve"), QStringLiteral("01"),
                    QStringLiteral("--step"), QStringLiteral("2")}));
    // Nothing changes by itself now.
    QVERIFY(!session_->labs()->findStep(lab_, 2).data(LabListModel::PassedRole).toBool());
    auto* check = panel_->findChildren<QPushButton*>().last();
    QVERIFY(check->text().contains(QStringLiteral("Check")));
    QTest::mouseClick(check, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(
        session_->labs()->findStep(lab_, 2).data(LabListModel::PassedRole).toBool(), kTimeout);
    QVERIFY(checks->allPassed());
    for (int r = 0; r < checks->rowCount(); ++r) QCOMPARE(status(r), QStringLiteral("pass"));
    QCOMPARE(results, 0);  // the report did it, not live events
  }

  void cleanupTestCase() {
    if (!session_) return;
    QString problem = test::endLabSession(session_, root_.path(), lab_, kTimeout);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
  }
};

QTEST_MAIN(RootLabTest)
#include "root_lab_test.moc"
