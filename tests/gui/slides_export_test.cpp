// `boxlab slides export DECK --pdf OUT [--notes]` through boxlab-slides, checked with poppler's
// tools: one page per slide (two with notes), no blank page (pixels), each slide's title found on
// its page, every font embedded, and no text outside the page.
#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "boxlab/slides.hpp"

namespace {

struct Out {
  int status = -1;
  QString out, err;
};

Out run(const QString& program, const QStringList& args) {
  QProcess p;
  p.start(program, args);
  Out o;
  if (!p.waitForFinished(60000)) {
    p.kill();
    p.waitForFinished();
    o.err = QStringLiteral("timed out");
    return o;
  }
  o.status = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  o.out = QString::fromUtf8(p.readAllStandardOutput());
  o.err = QString::fromUtf8(p.readAllStandardError());
  return o;
}

QString squash(QString s) {
  return s.replace(QRegularExpression(QStringLiteral("\\s+")), QStringLiteral(" ")).trimmed();
}

int page_count(const QString& pdf) {
  Out o = run(QStringLiteral("pdfinfo"), {pdf});
  auto m = QRegularExpression(QStringLiteral("Pages:\\s+(\\d+)")).match(o.out);
  return m.hasMatch() ? m.captured(1).toInt() : -1;
}

// Share of pixels that are not (nearly) white.
double ink(const QImage& img) {
  qint64 dark = 0;
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x)
      if (qGray(img.pixel(x, y)) < 200) ++dark;
  return double(dark) / (double(img.width()) * img.height());
}

}  // namespace

class SlidesExportTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString slides_ = QStringLiteral(BOXLAB_SOURCE_DIR "/slides");

  QString exportDeck(const QString& deck, bool notes) {
    QString pdf =
        tmp_.filePath(deck + (notes ? QStringLiteral("-notes.pdf") : QStringLiteral(".pdf")));
    QStringList args = {QStringLiteral("slides"),
                        QStringLiteral("--dir"),
                        slides_,
                        QStringLiteral("export"),
                        deck,
                        QStringLiteral("--pdf"),
                        pdf};
    if (notes) args << QStringLiteral("--notes");
    Out o = run(QStringLiteral(BOXLAB_BIN), args);
    if (o.status != 0) qWarning().noquote() << o.out << o.err;
    return o.status == 0 ? pdf : QString();
  }

 private slots:
  void initTestCase() {
    for (const char* tool : {"pdfinfo", "pdftoppm", "pdftotext", "pdffonts"})
      if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty())
        QSKIP("poppler-utils is not installed (./kit installs it)");
    QVERIFY(tmp_.isValid());
  }

  void every_deck_exports_one_good_page_per_slide() {
    for (const auto& file : boxlab::slides::deck_files(slides_.toStdString())) {
      boxlab::slides::Deck deck = boxlab::slides::load_deck(file);
      QString id = QString::fromStdString(deck.id);
      QString pdf = exportDeck(id, false);
      QVERIFY2(!pdf.isEmpty(), qPrintable(id));
      const int n = static_cast<int>(deck.slides.size());
      QCOMPARE(page_count(pdf), n);

      // Not blank: each page rendered has some ink, and more than the footer's.
      QString prefix = tmp_.filePath(id + QStringLiteral("-page"));
      QCOMPARE(run(QStringLiteral("pdftoppm"), {QStringLiteral("-r"), QStringLiteral("24"),
                                                QStringLiteral("-png"), pdf, prefix})
                   .status,
               0);
      for (int i = 1; i <= n; ++i) {
        QString png = prefix + QStringLiteral("-%1.png").arg(i, 2, 10, QLatin1Char('0'));
        QImage img(png);
        QVERIFY2(!img.isNull(), qPrintable(png));
        QVERIFY2(ink(img) > 0.01,
                 qPrintable(QStringLiteral("%1 page %2 looks blank").arg(id).arg(i)));
      }

      // Each slide's title is on its own page.
      for (int i = 1; i <= n; ++i) {
        Out t = run(QStringLiteral("pdftotext"),
                    {QStringLiteral("-f"), QString::number(i), QStringLiteral("-l"),
                     QString::number(i), pdf, QStringLiteral("-")});
        QString title = squash(QString::fromStdString(deck.slides[size_t(i - 1)].title));
        QVERIFY2(squash(t.out).contains(title),
                 qPrintable(QStringLiteral("%1 page %2: no '%3' in: %4")
                                .arg(id)
                                .arg(i)
                                .arg(title, squash(t.out).left(200))));
      }

      // Every font embedded.
      Out f = run(QStringLiteral("pdffonts"), {pdf});
      QStringList rows = f.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts).mid(2);
      QVERIFY(!rows.isEmpty());
      for (const QString& row : rows) {
        // name type encoding emb sub uni object ID: emb is the 4th field from the right end's 5th.
        QStringList cols = row.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        QVERIFY2(cols.size() >= 6, qPrintable(row));
        QVERIFY2(cols[cols.size() - 5] == QLatin1String("yes"), qPrintable(id + ": " + row));
      }

      // No word outside its page.
      Out b = run(QStringLiteral("pdftotext"), {QStringLiteral("-bbox"), pdf, QStringLiteral("-")});
      QRegularExpression page_re(QStringLiteral("<page width=\"([0-9.]+)\" height=\"([0-9.]+)\""));
      QRegularExpression word_re(
          QStringLiteral("<word xMin=\"([-0-9.]+)\" yMin=\"([-0-9.]+)\" xMax=\"([-0-9.]+)\" "
                         "yMax=\"([-0-9.]+)\">([^<]*)<"));
      auto pm = page_re.match(b.out);
      QVERIFY(pm.hasMatch());
      double w = pm.captured(1).toDouble(), h = pm.captured(2).toDouble();
      int words = 0;
      for (auto it = word_re.globalMatch(b.out); it.hasNext();) {
        auto m = it.next();
        ++words;
        QVERIFY2(m.captured(1).toDouble() >= 0 && m.captured(2).toDouble() >= 0 &&
                     m.captured(3).toDouble() <= w && m.captured(4).toDouble() <= h,
                 qPrintable(id + ": word outside the page: " + m.captured(0)));
      }
      QVERIFY(words > n * 3);
    }
  }

  void notes_add_a_page_per_slide() {
    QString pdf = exportDeck(QStringLiteral("02"), true);
    QVERIFY(!pdf.isEmpty());
    boxlab::slides::Deck deck =
        boxlab::slides::load_deck(boxlab::slides::find_deck(slides_.toStdString(), "02"));
    QCOMPARE(page_count(pdf), 2 * int(deck.slides.size()));
    Out t = run(QStringLiteral("pdftotext"),
                {QStringLiteral("-f"), QStringLiteral("2"), QStringLiteral("-l"),
                 QStringLiteral("2"), pdf, QStringLiteral("-")});
    QVERIFY(t.out.contains(QStringLiteral("Speaker notes")));
    QVERIFY(squash(t.out).contains(QStringLiteral("Namespaces are the \"view\" half")));
  }

  void missing_deck_and_missing_tool_are_clear_errors() {
    Out o = run(
        QStringLiteral(BOXLAB_BIN),
        {QStringLiteral("slides"), QStringLiteral("--dir"), slides_, QStringLiteral("export"),
         QStringLiteral("99"), QStringLiteral("--pdf"), tmp_.filePath(QStringLiteral("x.pdf"))});
    QCOMPARE(o.status, 1);
    QVERIFY2(o.err.contains(QStringLiteral("no deck '99'")), qPrintable(o.err));

    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("BOXLAB_SLIDES_TOOL"), QStringLiteral("/nonexistent/boxlab-slides"));
    p.setProcessEnvironment(env);
    p.start(
        QStringLiteral(BOXLAB_BIN),
        {QStringLiteral("slides"), QStringLiteral("--dir"), slides_, QStringLiteral("export"),
         QStringLiteral("02"), QStringLiteral("--pdf"), tmp_.filePath(QStringLiteral("y.pdf"))});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(QString::fromUtf8(p.readAllStandardError())
                .contains(QStringLiteral("/nonexistent/boxlab-slides")));
  }
};

QTEST_GUILESS_MAIN(SlidesExportTest)
#include "slides_export_test.moc"
