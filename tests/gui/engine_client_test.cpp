// EngineClient and ServeProcess without root: launch plans, falling back from a plan that
// cannot start or exits without answering to one that answers, replies matched to their
// requests whatever their order, error replies made readable, and an engine that dies
// failing every open request and saying so.
#include "engine_client.hpp"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

#include "engine.hpp"

using namespace boxlab::gui;

namespace {
// A fake serve in sh: answers hello, answers requests 2 and 3 in reverse order, refuses
// lab.ls as `unavailable`, then exits when told "die".
const char* kFakeServe = R"SH(
read -r hello
echo '{"v":1,"type":"reply","t":1,"backend":"real","id":1,"ok":true,"protocol":1,"schema":1,"backend":"real","commands":["hello","ps","lab.ls"]}'
read -r a; read -r b
echo '{"v":1,"type":"reply","t":2,"backend":"real","id":3,"ok":true,"containers":[]}'
echo 'this line is not JSON'
echo '{"v":1,"type":"reply","t":3,"backend":"real","id":2,"ok":false,"code":"unavailable","error":"lab commands are not in this build yet"}'
read -r c
exit 3
)SH";
}  // namespace

class EngineClientTest : public QObject {
  Q_OBJECT
 private slots:
  void launchPlans() {
    LaunchEnvironment env;
    env.boxlab = QStringLiteral("/opt/boxlab");
    env.root = QStringLiteral("/tmp/r");
    env.isRoot = true;
    env.pkexec = QStringLiteral("/usr/bin/pkexec");
    env.sudo = QStringLiteral("/usr/bin/sudo");
    env.hasDisplay = true;
    auto plans = planServeLaunch(env);
    QCOMPARE(plans.size(), 1);
    QCOMPARE(plans[0].program, QStringLiteral("/opt/boxlab"));
    QCOMPARE(plans[0].arguments, (QStringList{"--root", "/tmp/r", "serve"}));
    env.isRoot = false;
    plans = planServeLaunch(env);
    QCOMPARE(plans.size(), 3);
    QCOMPARE(plans[0].program, QStringLiteral("/usr/bin/pkexec"));
    QCOMPARE(plans[1].arguments, (QStringList{"-n", "/opt/boxlab", "--root", "/tmp/r", "serve"}));
    // Declined or impossible: the learner's own rights, said on the banner.
    QCOMPARE(plans[2].program, QStringLiteral("/opt/boxlab"));
    QCOMPARE(plans[2].how, QStringLiteral("without root"));
    QVERIFY(plans[2].notice.contains(QStringLiteral("declined")));
    QVERIFY(plans[0].notice.isEmpty());
    env.hasDisplay = false;  // pkexec needs a graphical agent
    QCOMPARE(planServeLaunch(env).size(), 2);
    env.sudo.clear();
    QCOMPARE(planServeLaunch(env).size(), 1);
    env.boxlab.clear();
    QVERIFY(planServeLaunch(env).isEmpty());
  }

  // A binary the learner can replace is never run as root for them.
  void untrustedEngineIsNotEscalated() {
    LaunchEnvironment env;
    env.boxlab = QStringLiteral("/home/ann/boxlab/build/core/boxlab");
    env.untrustedWhy = QStringLiteral("/home/ann: owned by uid 1000");
    env.pkexec = QStringLiteral("/usr/bin/pkexec");
    env.sudo = QStringLiteral("/usr/bin/sudo");
    env.hasDisplay = true;
    auto plans = planServeLaunch(env);
    QCOMPARE(plans.size(), 1);
    QCOMPARE(plans[0].program, env.boxlab);
    QCOMPARE(plans[0].how, QStringLiteral("without root"));
    QVERIFY(plans[0].notice.contains(QStringLiteral("development build")));
    QVERIFY(plans[0].notice.contains(env.untrustedWhy));
    // An installed engine is what gets escalated instead, and the banner says so.
    env.installedEngine = QStringLiteral("/usr/local/bin/boxlab");
    plans = planServeLaunch(env);
    QCOMPARE(plans.size(), 3);
    QCOMPARE(plans[0].arguments.first(), env.installedEngine);
    QCOMPARE(plans[1].arguments.at(1), env.installedEngine);
    QCOMPARE(plans[2].program, env.installedEngine);
    QVERIFY(plans[0].notice.contains(QStringLiteral("installed engine")));
    for (const auto& plan : plans) QVERIFY(!plan.arguments.contains(env.boxlab));
    // Asked for explicitly: the developer's build, with the banner saying so.
    env.devEscalate = true;
    plans = planServeLaunch(env);
    QCOMPARE(plans[0].arguments.first(), env.boxlab);
    QVERIFY(plans[0].notice.contains(QStringLiteral("--dev-escalate")));
  }

  void fallsBackAndMatchesReplies() {
    QVector<LaunchPlan> plans{
        {QStringLiteral("/nonexistent/boxlab"),
         {QStringLiteral("serve")},
         QStringLiteral("missing")},
        {QStringLiteral("/bin/sh"),
         {QStringLiteral("-c"), QStringLiteral("echo 'sudo: a password is required' >&2; exit 1")},
         QStringLiteral("through sudo")},
        {QStringLiteral("/bin/sh"),
         {QStringLiteral("-c"), QString::fromLatin1(kFakeServe)},
         QStringLiteral("fake")}};
    EngineClient client(new ServeProcess(plans));
    QSignalSpy ready(&client, &EngineClient::ready);
    QSignalSpy unavailable(&client, &EngineClient::unavailable);
    QSignalSpy warnings(&client, &EngineClient::warning);
    QSignalSpy errors(&client, &EngineClient::error);
    client.start();
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 20000);
    QCOMPARE(unavailable.count(), 0);
    QVERIFY(client.supports(QStringLiteral("lab.ls")));
    QVERIFY(!client.supports(QStringLiteral("reboot")));
    QCOMPARE(client.engine()->description(), QStringLiteral("boxlab serve fake"));

    ReplyEvent labs, ps;
    int order = 0, labsAt = 0, psAt = 0;
    int labsId = client.request(QStringLiteral("lab.ls"), {}, [&](const ReplyEvent& r) {
      labs = r;
      labsAt = ++order;
    });
    int psId = client.request(QStringLiteral("ps"), {{QStringLiteral("all"), true}},
                              [&](const ReplyEvent& r) {
                                ps = r;
                                psAt = ++order;
                              });
    QCOMPARE(labsId, 2);
    QCOMPARE(psId, 3);
    QTRY_VERIFY_WITH_TIMEOUT(labsAt && psAt, 20000);
    QCOMPARE(psAt, 1);  // answered first, matched by id
    QVERIFY(ps.ok);
    QVERIFY(ps.body.value(QStringLiteral("containers")).isArray());
    QVERIFY(!labs.ok);
    QCOMPARE(
        EngineClient::describe(QStringLiteral("lab.ls"), labs),
        QStringLiteral(
            "lab.ls is not available in this engine yet (lab commands are not in this build yet)"));
    QCOMPARE(warnings.count(), 1);  // the non-JSON line, reported, skipped
    QVERIFY(warnings.front().front().toString().contains(QStringLiteral("not JSON")));

    // The engine dies with a request open: the request fails, the client says why.
    ReplyEvent last;
    bool got = false;
    client.request(QStringLiteral("ps"), {}, [&](const ReplyEvent& r) {
      last = r;
      got = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(got, 20000);
    QCOMPARE(last.code, QStringLiteral("engine_gone"));
    QTRY_COMPARE_WITH_TIMEOUT(unavailable.count(), 1, 20000);
    QVERIFY(
        unavailable.front().front().toString().contains(QStringLiteral("exited with status 3")));
    QVERIFY(!client.isReady());
    // Later requests fail at once, never silently.
    bool after = false;
    client.request(QStringLiteral("ps"), {}, [&](const ReplyEvent& r) { after = !r.ok; });
    QTRY_VERIFY_WITH_TIMEOUT(after, 5000);
  }

  void noPlanWorks() {
    QVector<LaunchPlan> plans{
        {QStringLiteral("/bin/sh"),
         {QStringLiteral("-c"), QStringLiteral("echo 'sudo: a password is required' >&2; exit 1")},
         QStringLiteral("through sudo")}};
    EngineClient client(new ServeProcess(plans));
    QSignalSpy unavailable(&client, &EngineClient::unavailable);
    bool failed = false;
    client.start();
    client.request(QStringLiteral("ps"), {}, [&](const ReplyEvent& r) { failed = !r.ok; });
    QTRY_COMPARE_WITH_TIMEOUT(unavailable.count(), 1, 20000);
    QString m = unavailable.front().front().toString();
    QVERIFY2(
        m.contains(QStringLiteral("through sudo: exited with 1 (sudo: a password is required)")),
        qPrintable(m));
    QTRY_VERIFY(failed);

    EngineClient none(new ServeProcess({}));
    QSignalSpy gone(&none, &EngineClient::unavailable);
    none.start();
    QTRY_COMPARE(gone.count(), 1);
    QVERIFY(gone.front().front().toString().contains(QStringLiteral("not found")));
  }
};

QTEST_GUILESS_MAIN(EngineClientTest)
#include "engine_client_test.moc"
