// image.progress in the GUI without an engine: lines recorded from `boxlab serve` importing an
// OCI tar, an OCI layout directory and a truncated tar (paths shortened to /tmp/rec) go through
// the one stream parser into ImportProgress, which follows only its own source.
#include "import_progress.hpp"

#include <QSignalSpy>
#include <QTest>

#include "event_stream.hpp"

using namespace boxlab::gui;

namespace {

// Recorded: serve's stdout for three image.import commands, in order.
const char* const kRecorded[] = {
    R"({"backend":"real","bytesDone":1048576,"bytesTotal":2150400,"layersDone":0,"layersTotal":null,"phase":"read","source":"/tmp/rec/base-oci.tar","t":10378409,"type":"image.progress","v":1})",
    R"({"backend":"real","bytesDone":2097152,"bytesTotal":2150400,"layersDone":0,"layersTotal":null,"phase":"read","source":"/tmp/rec/base-oci.tar","t":34035366,"type":"image.progress","v":1})",
    R"({"backend":"real","bytesDone":2150400,"bytesTotal":2150400,"images":[{"digest":"sha256:964435ed1d230863832974dd8315235979c4c2891b00f3dd301fbe26885750b8","layers":1,"name":"copy"}],"layersDone":1,"layersTotal":1,"phase":"done","source":"/tmp/rec/base-oci.tar","t":60881836,"type":"image.progress","v":1})",
    R"({"backend":"real","digest":"sha256:964435ed1d230863832974dd8315235979c4c2891b00f3dd301fbe26885750b8","id":1,"images":[{"digest":"sha256:964435ed1d230863832974dd8315235979c4c2891b00f3dd301fbe26885750b8","layers":1,"name":"copy","size":2140160}],"layers":1,"name":"copy","ok":true,"size":2140160,"t":60929105,"type":"reply","v":1})",
    R"({"backend":"real","bytesDone":299,"bytesTotal":null,"layersDone":0,"layersTotal":null,"phase":"read","source":"/tmp/rec/layout","t":997762042,"type":"image.progress","v":1})",
    R"({"backend":"real","bytesDone":1049714,"bytesTotal":null,"layersDone":0,"layersTotal":null,"phase":"read","source":"/tmp/rec/layout","t":1008321340,"type":"image.progress","v":1})",
    R"({"backend":"real","bytesDone":2098290,"bytesTotal":null,"layersDone":0,"layersTotal":null,"phase":"read","source":"/tmp/rec/layout","t":1008349182,"type":"image.progress","v":1})",
    R"({"backend":"real","bytesDone":2141298,"bytesTotal":null,"layersDone":1,"layersTotal":null,"phase":"read","source":"/tmp/rec/layout","t":1021971636,"type":"image.progress","v":1})",
    R"({"backend":"real","bytesDone":2141298,"bytesTotal":2141298,"images":[{"digest":"sha256:964435ed1d230863832974dd8315235979c4c2891b00f3dd301fbe26885750b8","layers":1,"name":"copy2"}],"layersDone":1,"layersTotal":1,"phase":"done","source":"/tmp/rec/layout","t":1025308545,"type":"image.progress","v":1})",
    R"({"backend":"real","digest":"sha256:964435ed1d230863832974dd8315235979c4c2891b00f3dd301fbe26885750b8","id":2,"images":[{"digest":"sha256:964435ed1d230863832974dd8315235979c4c2891b00f3dd301fbe26885750b8","layers":1,"name":"copy2","size":2140160}],"layers":1,"name":"copy2","ok":true,"size":2140160,"t":1025412220,"type":"reply","v":1})",
    R"({"backend":"real","bytesDone":700000,"bytesTotal":700000,"layersDone":0,"layersTotal":null,"phase":"read","source":"/tmp/rec/cut.tar","t":2002848643,"type":"image.progress","v":1})",
    R"({"backend":"real","bytesDone":700000,"bytesTotal":700000,"error":"import /tmp/rec/cut.tar: /tmp/rec/cut.tar: entry './blobs/sha256/cb02365aee03055f9e3d48d9b9f426e80c0fe62bb2c8318f569e97e7ae082a0a': Truncated tar archive","layersDone":0,"layersTotal":null,"phase":"failed","source":"/tmp/rec/cut.tar","t":2009168909,"type":"image.progress","v":1})",
    R"({"backend":"real","code":"failed","error":"import /tmp/rec/cut.tar: /tmp/rec/cut.tar: entry './blobs/sha256/cb02365aee03055f9e3d48d9b9f426e80c0fe62bb2c8318f569e97e7ae082a0a': Truncated tar archive","id":3,"ok":false,"t":2009406094,"type":"reply","v":1})",
};

// What one ImportProgress showed after each change: percent and summary.
struct Seen {
  QVector<int> percents;
  QStringList summaries;
};

Seen replay(ImportProgress& progress) {
  EventStream stream;
  Seen seen;
  QObject::connect(&stream, &EventStream::imageProgress, &progress, &ImportProgress::onEvent);
  QObject::connect(&progress, &ImportProgress::changed, [&] {
    seen.percents << progress.percent();
    seen.summaries << progress.summary();
  });
  for (const char* line : kRecorded) stream.feedLine(line);
  return seen;
}

}  // namespace

class ImportProgressTest : public QObject {
  Q_OBJECT
 private slots:
  void parsesRecordedLines() {
    EventStream stream;
    QSignalSpy progress(&stream, &EventStream::imageProgress);
    QSignalSpy replies(&stream, &EventStream::reply);
    QSignalSpy malformed(&stream, &EventStream::malformed);
    QSignalSpy unknown(&stream, &EventStream::unknownEvent);
    for (const char* line : kRecorded) stream.feedLine(line);
    QCOMPARE(malformed.count(), 0);
    QCOMPARE(unknown.count(), 0);
    QCOMPARE(replies.count(), 3);
    QCOMPARE(progress.count(), 10);
    auto first = progress.at(0).at(0).value<ImageProgressEvent>();
    QCOMPARE(first.source, QStringLiteral("/tmp/rec/base-oci.tar"));
    QCOMPARE(first.phase, QStringLiteral("read"));
    QCOMPARE(first.bytesDone, qint64(1048576));
    QCOMPARE(first.bytesTotal.value_or(-1), qint64(2150400));
    QVERIFY(!first.layersTotal);
    QCOMPARE(first.header.t, qint64(10378409));
    auto done = progress.at(2).at(0).value<ImageProgressEvent>();
    QCOMPARE(done.phase, QStringLiteral("done"));
    QCOMPARE(done.layersTotal.value_or(-1), 1);
    QCOMPARE(done.images.size(), 1);
    QCOMPARE(done.images[0].name, QStringLiteral("copy"));
    QCOMPARE(done.images[0].layers, 1);
    QVERIFY(done.images[0].digest.startsWith(QStringLiteral("sha256:964435ed")));
    auto layout = progress.at(3).at(0).value<ImageProgressEvent>();
    QVERIFY(!layout.bytesTotal);  // a directory's total is known only at the end
    auto failed = progress.at(9).at(0).value<ImageProgressEvent>();
    QCOMPARE(failed.phase, QStringLiteral("failed"));
    QVERIFY(failed.error.contains(QStringLiteral("entry './blobs/sha256/cb02365a")));
    QVERIFY(failed.images.isEmpty());
  }

  void refusesAProgressLineWithWrongTypes() {
    EventStream stream;
    QSignalSpy progress(&stream, &EventStream::imageProgress);
    QSignalSpy malformed(&stream, &EventStream::malformed);
    stream.feedLine(
        R"({"v":1,"type":"image.progress","t":1,"source":"/a.tar","phase":"read","bytesDone":"lots","layersDone":0})");
    stream.feedLine(
        R"({"v":1,"type":"image.progress","t":2,"phase":"read","bytesDone":1,"layersDone":0})");
    QCOMPARE(progress.count(), 0);
    QCOMPARE(malformed.count(), 2);
    QVERIFY(
        malformed.at(0).at(0).value<MalformedLine>().reason.contains(QStringLiteral("bytesDone")));
    QVERIFY(malformed.at(1).at(0).value<MalformedLine>().reason.contains(QStringLiteral("source")));
  }

  void followsAnArchiveToItsEnd() {
    ImportProgress progress;
    QSignalSpy finished(&progress, &ImportProgress::finished);
    progress.begin(QStringLiteral("/tmp/rec/base-oci.tar"));
    Seen seen = replay(progress);
    // 1 MiB and 2 MiB of 2150400 bytes, then done; the other imports' lines change nothing.
    QCOMPARE(seen.percents, (QVector<int>{48, 97, 100}));
    QCOMPARE(seen.summaries.at(0), QStringLiteral("1.0 MB of 2.2 MB, 0 layers checked"));
    QCOMPARE(seen.summaries.last(), QStringLiteral("2.2 MB, 1 layer"));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toBool(), true);
    QCOMPARE(progress.state(), ImportProgress::State::done);
    QCOMPARE(progress.images().size(), 1);
    QCOMPARE(progress.images()[0].name, QStringLiteral("copy"));
    progress.finish({});  // the reply after `done` changes nothing
    QCOMPARE(finished.count(), 1);
  }

  void aLayoutDirectoryHasNoPercentUntilDone() {
    ImportProgress progress;
    progress.begin(QStringLiteral("/tmp/rec/layout"));
    Seen seen = replay(progress);
    QCOMPARE(seen.percents, (QVector<int>{-1, -1, -1, -1, 100}));
    QCOMPARE(seen.summaries.at(0), QStringLiteral("299 bytes read, 0 layers checked"));
    QCOMPARE(seen.summaries.at(3), QStringLiteral("2.1 MB read, 1 layer checked"));
    QCOMPARE(progress.bytesDone(), qint64(2141298));
  }

  void aTruncatedArchiveFailsWithTheEntry() {
    ImportProgress progress;
    QSignalSpy finished(&progress, &ImportProgress::finished);
    progress.begin(QStringLiteral("/tmp/rec/cut.tar"));
    replay(progress);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toBool(), false);
    QCOMPARE(progress.state(), ImportProgress::State::failed);
    QVERIFY(progress.error().endsWith(QStringLiteral("': Truncated tar archive")));
    QVERIFY(progress.images().isEmpty());
  }

  void aRefusedImportEndsWithItsReply() {
    ImportProgress progress;
    QSignalSpy finished(&progress, &ImportProgress::finished);
    progress.begin(QStringLiteral("/x.tar"));
    QCOMPARE(progress.state(), ImportProgress::State::running);
    progress.finish(QStringLiteral("image.import: an import is already running (/y.tar)"));
    QCOMPARE(progress.state(), ImportProgress::State::failed);
    QCOMPARE(finished.count(), 1);
    QVERIFY(progress.error().contains(QStringLiteral("already running")));
    // A new import starts from nothing.
    progress.begin(QStringLiteral("/x.tar"));
    QCOMPARE(progress.bytesDone(), qint64(0));
    QVERIFY(progress.error().isEmpty());
  }
};

QTEST_GUILESS_MAIN(ImportProgressTest)
#include "import_progress_test.moc"
