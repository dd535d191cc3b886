// The stream parser on recorded streams (monitor and serve sessions), on malformed lines, on
// lines split across arbitrary chunks, and on random bytes: every good line becomes a value,
// every bad one a report, and the stream goes on.
#include <QFile>
#include <QSignalSpy>
#include <QTest>
#include <random>

#include "event_stream.hpp"

using namespace boxlab::gui;

namespace {
QByteArray readData(const char* name) {
  QFile f(QStringLiteral(BOXLAB_TEST_DATA "/events/") + QLatin1String(name));
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot open %s", name);
  return f.readAll();
}

// Counts every signal of one stream.
struct Counts {
  int state = 0, tree = 0, stats = 0, cgEvent = 0, reply = 0, output = 0, closed = 0, log = 0,
      unknown = 0, malformed = 0;
  QVector<ProcTreeEvent> trees;
  QVector<ReplyEvent> replies;
  QVector<ContainerStateEvent> states;
  QVector<MalformedLine> bad;
  qint64 lastT = -1;
  bool timeOrdered = true;
  void attach(EventStream& s) {
    auto t = [this](const EventHeader& h) {
      if (h.t < lastT) timeOrdered = false;
      lastT = h.t;
    };
    QObject::connect(&s, &EventStream::containerState, [=, this](const ContainerStateEvent& e) {
      ++state;
      states << e;
      t(e.header);
    });
    QObject::connect(&s, &EventStream::procTree, [=, this](const ProcTreeEvent& e) {
      ++tree;
      trees << e;
      t(e.header);
    });
    QObject::connect(&s, &EventStream::cgroupStats, [=, this](const CgroupStatsEvent& e) {
      ++stats;
      t(e.header);
    });
    QObject::connect(&s, &EventStream::cgroupEvent, [this](const CgroupEventEvent&) { ++cgEvent; });
    QObject::connect(&s, &EventStream::reply, [this](const ReplyEvent& e) {
      ++reply;
      replies << e;
    });
    QObject::connect(&s, &EventStream::consoleOutput,
                     [this](const ConsoleOutputEvent&) { ++output; });
    QObject::connect(&s, &EventStream::consoleClosed,
                     [this](const ConsoleClosedEvent&) { ++closed; });
    QObject::connect(&s, &EventStream::log, [this](const LogEvent&) { ++log; });
    QObject::connect(&s, &EventStream::unknownEvent,
                     [this](const QString&, const EventHeader&) { ++unknown; });
    QObject::connect(&s, &EventStream::malformed, [this](const MalformedLine& m) {
      ++malformed;
      bad << m;
    });
  }
};
}  // namespace

class StreamParserTest : public QObject {
  Q_OBJECT
 private slots:
  void recordedMonitorStream() {
    EventStream s;
    Counts c;
    c.attach(s);
    s.feed(readData("recorded-monitor.jsonl"));
    s.finish();
    QCOMPARE(c.malformed, 0);
    QVERIFY(c.state >= 2);
    QVERIFY(c.tree >= 3);
    QVERIFY(c.timeOrdered);
    // The container's pid 1 has a host pid and sits in the container's pid namespace.
    const ProcTreeEvent& first = c.trees.front();
    QCOMPARE(first.container, QStringLiteral("web"));
    QVERIFY(first.pidns != 0);
    bool sawPid1 = false;
    for (const auto& p : first.processes) {
      QCOMPARE(p.nspid.front(), p.pid);
      if (p.pid == first.root) {
        QCOMPARE(p.nspid.back(), 1);
        QCOMPARE(p.ns.value(QStringLiteral("pid")), first.pidns);
        sawPid1 = true;
      }
    }
    QVERIFY(sawPid1);
    QCOMPARE(c.states.front().status, QStringLiteral("running"));
    QCOMPARE(c.states.back().status, QStringLiteral("stopped"));
  }

  void recordedServeSession() {
    EventStream s;
    Counts c;
    c.attach(s);
    s.feed(readData("recorded-serve.jsonl"));
    s.finish();
    QCOMPARE(c.malformed, 0);
    QVERIFY(c.reply >= 5);
    // hello, then an unknown command refused with its code.
    QCOMPARE(c.replies.front().id.toInt(), 1);
    QVERIFY(c.replies.front().ok);
    QCOMPARE(c.replies.front().body.value(QStringLiteral("protocol")).toInt(), 1);
    bool sawUnknown = false;
    for (const auto& r : c.replies)
      if (r.code == QLatin1String("unknown_command")) {
        sawUnknown = true;
        QVERIFY(!r.ok);
        QVERIFY(r.error.contains(QStringLiteral("reboot")));
      }
    QVERIFY(sawUnknown);
    QVERIFY(c.stats >= 1);
    QVERIFY(c.tree >= 1);
  }

  void malformedLinesAreReportedNotFatal() {
    QByteArray bad = readData("malformed.txt");
    int badLines = int(bad.count('\n'));
    EventStream s;
    Counts c;
    c.attach(s);
    // Every malformed line, each followed by a good one: every good one still arrives.
    QByteArray good =
        R"({"v":1,"type":"log","t":1,"backend":"real","level":"info","message":"ok"})";
    QByteArray mixed;
    for (const QByteArray& line : bad.split('\n'))
      if (!line.isEmpty()) mixed += line + '\n' + good + '\n';
    s.feed(mixed);
    s.finish();
    QCOMPARE(c.malformed, badLines);
    QCOMPARE(c.log, badLines);
    for (const auto& m : c.bad) QVERIFY2(!m.reason.isEmpty(), qPrintable(m.text));
    QCOMPARE(s.malformedSeen(), qint64(badLines));
  }

  void clientSideTypesAreValidated() {
    EventStream s;
    Counts c;
    c.attach(s);
    QVector<CheckResultEvent> results;
    QVector<LabStepEvent> steps;
    connect(&s, &EventStream::checkResult, [&](const CheckResultEvent& e) { results << e; });
    connect(&s, &EventStream::labStep, [&](const LabStepEvent& e) { steps << e; });
    s.feed(
        R"({"v":1,"type":"check.result","t":5,"lab":"06-cgroups","step":"memory","stepIndex":1,"check":"oom","title":"OOM seen","kind":"cgroup","status":"pass","expected":"1","observed":"1","hint":"","points":1}
{"v":1,"type":"check.result","t":6,"lab":"06-cgroups","step":"memory","check":"x"}
{"v":1,"type":"lab.step","t":7,"lab":"06-cgroups","step":"memory","stepIndex":1,"passed":true,"points":3,"maxPoints":3}
{"v":1,"type":"lab.step","t":8,"lab":"06-cgroups","step":"memory","passed":"yes"}
{"v":1,"type":"console.output","t":9,"session":"s1","data":"aGVsbG8="}
{"v":1,"type":"console.output","t":9,"session":"s1","data":"!!!"}
{"v":1,"type":"net.topology","t":10,"links":[]}
{"v":1,"type":"some.future.type","t":11}
)");
    QCOMPARE(results.size(), 1);
    QCOMPARE(results[0].status, QStringLiteral("pass"));
    QCOMPARE(steps.size(), 1);
    QVERIFY(steps[0].passed);
    QCOMPARE(c.output, 1);
    QCOMPARE(c.unknown, 1);
    QCOMPARE(c.malformed, 3);  // check.result without status, lab.step passed:"yes", bad base64
  }

  // The pictures of the diagram views: recorded from `boxlab serve` (net.topology with one
  // container on boxlab0 in a test netns; image.layers of that container for /etc).
  void topologyAndLayersBecomeValues() {
    EventStream s;
    Counts c;
    c.attach(s);
    QVector<NetTopologyEvent> topo;
    QVector<ImageLayersEvent> layers;
    connect(&s, &EventStream::netTopology, [&](const NetTopologyEvent& e) { topo << e; });
    connect(&s, &EventStream::imageLayers, [&](const ImageLayersEvent& e) { layers << e; });
    s.feed(readData("recorded-pictures.jsonl"));
    s.feed(R"({"v":1,"type":"net.topology","t":9,"namespaces":[{"inode":3}]}
{"v":1,"type":"image.layers","t":9,"container":"c","layers":[{"index":"0","kind":"image"}]}
)");
    QCOMPARE(c.malformed, 2);  // a namespace without a name; a layer index that is a string
    QCOMPARE(topo.size(), 1);
    const NetTopologyEvent& t = topo[0];
    QCOMPARE(t.hostPath, QStringLiteral("/run/netns/gui2test"));
    QCOMPARE(t.bridges.size(), 1);
    QCOMPARE(t.bridges[0].name, QStringLiteral("boxlab0"));
    QCOMPARE(t.bridges[0].addresses, QStringList{QStringLiteral("10.88.0.1/24")});
    QCOMPARE(t.namespaces.size(), 2);
    QCOMPARE(t.namespaces[0].name, QStringLiteral("host"));
    QCOMPARE(t.namespaces[1].container, QStringLiteral("n1"));
    QCOMPARE(t.vethPairs.size(), 1);
    QCOMPARE(t.vethPairs[0].containerIf, QStringLiteral("eth0"));
    bool eth0 = false;
    for (const auto& i : t.namespaces[1].interfaces)
      if (i.name == QLatin1String("eth0")) {
        eth0 = true;
        QCOMPARE(i.kind, QStringLiteral("veth"));
        QCOMPARE(i.addresses.size(), 1);
        QVERIFY(i.addresses[0].startsWith(QStringLiteral("10.88.0.")));
      }
    QVERIFY(eth0);
    QCOMPARE(layers.size(), 1);
    const ImageLayersEvent& l = layers[0];
    QCOMPARE(l.container, QStringLiteral("n1"));
    QCOMPARE(l.layers.size(), 2);
    QCOMPARE(l.layers[1].kind, QStringLiteral("upper"));
    QVERIFY(l.layers[0].dir.endsWith(QStringLiteral("/rootfs")));
    QCOMPARE(l.path, QStringLiteral("/etc"));
    QCOMPARE(l.source.value_or(-1), 1);  // the upper dir has /etc too (boxlab wrote /etc/hosts)
    QCOMPARE(l.entries.size(), 4);
  }

  void linesSplitAnywhere() {
    QByteArray all = readData("recorded-serve.jsonl");
    EventStream whole;
    Counts a;
    a.attach(whole);
    whole.feed(all);
    whole.finish();
    std::mt19937 rng(7);
    for (int round = 0; round < 20; ++round) {
      EventStream s;
      Counts b;
      b.attach(s);
      qsizetype at = 0;
      while (at < all.size()) {
        qsizetype n = 1 + qsizetype(rng() % 700);
        s.feed(all.mid(at, n));
        at += n;
      }
      s.finish();
      QCOMPARE(b.reply, a.reply);
      QCOMPARE(b.tree, a.tree);
      QCOMPARE(b.malformed, 0);
    }
  }

  void lastLineWithoutNewline() {
    EventStream s;
    Counts c;
    c.attach(s);
    s.feed(R"({"v":1,"type":"log","t":1,"level":"warn","message":"no newline"})");
    QCOMPARE(c.log, 0);
    s.finish();
    QCOMPARE(c.log, 1);
  }

  void randomBytesNeverCrash() {
    std::mt19937 rng(4242);
    EventStream s;
    Counts c;
    c.attach(s);
    for (int i = 0; i < 2000; ++i) {
      QByteArray junk(int(rng() % 300), '\0');
      for (auto& ch : junk) ch = char(rng() % 256);
      s.feed(junk);
    }
    s.feed("\n");
    s.feed(R"({"v":1,"type":"log","t":1,"level":"info","message":"after the junk"})"
           "\n");
    QVERIFY(c.malformed > 0);
    QCOMPARE(c.log, 1);  // the stream still works
  }
};

QTEST_GUILESS_MAIN(StreamParserTest)
#include "stream_parser_test.moc"
