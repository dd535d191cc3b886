// The terminal widget without an engine: what a program prints (colors, cursor moves,
// clearing) is what the screen holds, keys become the bytes a tty expects (Ctrl+C is ^C,
// arrows are escape sequences), paste is bracketed when the program asked for it, and a new
// size is announced in rows and columns.
#include <QApplication>
#include <QClipboard>
#include <QSignalSpy>
#include <QTest>

#include "terminal_widget.hpp"

using namespace boxlab::gui;

class TerminalTest : public QObject {
  Q_OBJECT
 private slots:
  void printsWhatTheProgramWrote() {
    TerminalWidget t;
    t.resize(800, 400);
    t.show();
    QVERIFY(QTest::qWaitForWindowExposed(&t));
    t.feed("hello\r\n\x1b[31mred\x1b[0m and plain\r\n");
    QStringList lines = t.screenText().split('\n');
    QCOMPARE(lines[0], QStringLiteral("hello"));
    QCOMPARE(lines[1], QStringLiteral("red and plain"));
    // Cursor addressing and erase: ESC[1;1H then ESC[2K clears the first line.
    t.feed("\x1b[1;1H\x1b[2Kbye");
    QCOMPARE(t.screenText().split('\n')[0], QStringLiteral("bye"));
    // Red really is red on screen: grab and look at the pixels of row 2.
    QImage img = t.grab().toImage();
    bool sawRed = false;
    int rowHeight = t.height() / t.rows();
    for (int y = rowHeight; y < 2 * rowHeight + 2 && !sawRed; ++y)
      for (int x = 0; x < t.width() / 4 && !sawRed; ++x) {
        QColor c = img.pixelColor(x, y);
        sawRed = c.red() > 150 && c.green() < 100 && c.blue() < 100;
      }
    QVERIFY(sawRed);
  }

  void keysBecomeTtyBytes() {
    TerminalWidget t;
    t.show();
    QByteArray out;
    connect(&t, &TerminalWidget::input, [&](const QByteArray& b) { out += b; });
    QTest::keyClicks(&t, QStringLiteral("ls"));
    QTest::keyClick(&t, Qt::Key_Return);
    QCOMPARE(out, QByteArray("ls\r"));
    out.clear();
    QTest::keyClick(&t, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(out, QByteArray("\x03"));
    out.clear();
    QTest::keyClick(&t, Qt::Key_Up);
    QTest::keyClick(&t, Qt::Key_Tab);
    QTest::keyClick(&t, Qt::Key_Backspace);
    QCOMPARE(out, QByteArray("\x1b[A\t\x7f"));
    // A program that switches on bracketed paste gets the pasted text bracketed.
    out.clear();
    t.feed("\x1b[?2004h");
    QApplication::clipboard()->setText(QStringLiteral("echo one\necho two"));
    t.paste();
    QCOMPARE(out, QByteArray("\x1b[200~echo one\recho two\x1b[201~"));
  }

  void resizeAnnouncesRowsAndColumns() {
    TerminalWidget t;
    t.resize(400, 200);
    t.show();
    QVERIFY(QTest::qWaitForWindowExposed(&t));
    QSignalSpy resized(&t, &TerminalWidget::resized);
    int rows = t.rows(), cols = t.cols();
    t.resize(800, 500);
    QTRY_VERIFY(resized.count() >= 1);
    QVERIFY(t.rows() > rows);
    QVERIFY(t.cols() > cols);
    QCOMPARE(resized.last().at(0).toInt(), t.rows());
    QCOMPARE(resized.last().at(1).toInt(), t.cols());
    // Text wraps at the new width.
    t.feed(QByteArray(t.cols() + 3, 'x'));
    QCOMPARE(t.screenText().split('\n')[1], QStringLiteral("xxx"));
  }
};

QTEST_MAIN(TerminalTest)
#include "terminal_test.moc"
