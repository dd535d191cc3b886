// Presenter mode: keys move both windows, B blacks the audience out, L asks for the slide's lab
// link, D types and then runs the slide's demo line by line; screenshots of both windows.
#include "presenter.hpp"

#include <QDir>
#include <QSignalSpy>
#include <QtTest>

#include "boxlab/slides.hpp"

using boxlab::gui::Presenter;

class PresenterTest : public QObject {
  Q_OBJECT
  boxlab::slides::Deck load(const char* ref) {
    return boxlab::slides::load_deck(boxlab::slides::find_deck(BOXLAB_SOURCE_DIR "/slides", ref));
  }
  int slideWith(const boxlab::slides::Deck& d, const std::string& title) {
    for (const auto& s : d.slides)
      if (s.title == title) return s.number - 1;
    return -1;
  }

 private slots:
  void keys_navigate_both_windows() {
    Presenter p(load("02"));
    p.start();
    QWidget* w = p.presenterWindow();
    QVERIFY(QTest::qWaitForWindowExposed(w));
    const int last = int(p.deck().slides.size()) - 1;
    QSignalSpy moved(&p, &Presenter::indexChanged);
    QTest::keyClick(w, Qt::Key_Right);
    QCOMPARE(p.index(), 1);
    QTest::keyClick(w, Qt::Key_Space);
    QCOMPARE(p.index(), 2);
    QTest::keyClick(w, Qt::Key_Left);
    QCOMPARE(p.index(), 1);
    QTest::keyClick(w, Qt::Key_End);
    QCOMPARE(p.index(), last);
    QTest::keyClick(w, Qt::Key_Right);  // stays on the last slide
    QCOMPARE(p.index(), last);
    QTest::keyClick(p.audienceWindow(), Qt::Key_Home);  // the audience window takes keys too
    QCOMPARE(p.index(), 0);
    QCOMPARE(p.audienceView()->index(), 0);
    QCOMPARE(moved.count(), 5);
    QTest::keyClick(w, Qt::Key_B);
    QVERIFY(p.black());
    QVERIFY(p.audienceView()->black());
    QTest::keyClick(w, Qt::Key_B);
    QVERIFY(!p.audienceView()->black());
  }

  void lab_link_asks_for_the_lab_step() {
    auto deck = load("02");
    int i = slideWith(deck, "Three system calls");  // its notes link lab:04/4
    QVERIFY(i >= 0);
    Presenter p(std::move(deck));
    p.start();
    p.go(i);
    QSignalSpy lab(&p, &Presenter::labRequested);
    QTest::keyClick(p.presenterWindow(), Qt::Key_L);
    QCOMPARE(lab.count(), 1);
    QCOMPARE(lab.at(0).at(0).toString(), QStringLiteral("04"));
    QCOMPARE(lab.at(0).at(1).toString(), QStringLiteral("4"));
    // The title slide links nothing: L does nothing there.
    p.go(0);
    QTest::keyClick(p.presenterWindow(), Qt::Key_L);
    QCOMPARE(lab.count(), 1);
  }

  void demo_is_typed_then_run_line_by_line() {
    auto deck = load("02");
    int i = slideWith(deck, "A namespace has an identity");
    QVERIFY(i >= 0);
    Presenter p(std::move(deck));
    p.start();
    p.go(i);
    QSignalSpy input(&p, &Presenter::demoInput);
    QCOMPARE(p.pendingDemoLine(), QStringLiteral("ls -l /proc/self/ns"));
    QTest::keyClick(p.presenterWindow(), Qt::Key_D);  // shown in the shell, not run
    QCOMPARE(input.count(), 1);
    QCOMPARE(input.at(0).at(0).toByteArray(), QByteArrayLiteral("ls -l /proc/self/ns"));
    QTest::keyClick(p.presenterWindow(), Qt::Key_D);  // run
    QCOMPARE(input.at(1).at(0).toByteArray(), QByteArrayLiteral("\r"));
    QCOMPARE(p.pendingDemoLine(), QStringLiteral("boxlab run --rm base ls -l /proc/self/ns"));
    QTest::keyClick(p.presenterWindow(), Qt::Key_D);
    QTest::keyClick(p.presenterWindow(), Qt::Key_D);
    QCOMPARE(input.count(), 4);
    QTest::keyClick(p.presenterWindow(), Qt::Key_D);  // nothing left on this slide
    QCOMPARE(input.count(), 4);
    p.next();  // a new slide starts its own demo from the top
    QCOMPARE(p.pendingDemoLine(),
             QStringLiteral("boxlab run --rm --ns pid,mount base ps -o pid,ppid,args"));
  }

  void screenshots() {
    auto deck = load("02");
    int i = slideWith(deck, "PID namespace: pid 1 again");
    Presenter p(std::move(deck));
    p.presenterWindow()->resize(1280, 760);
    p.start();
    p.go(i);
    QTest::keyClick(p.presenterWindow(), Qt::Key_D);
    QVERIFY(QTest::qWaitForWindowExposed(p.presenterWindow()));
    QDir().mkpath(QStringLiteral(BOXLAB_BINARY_DIR "/screenshots"));
    QImage shot = p.presenterWindow()->grab().toImage();
    QVERIFY(shot.save(QStringLiteral(BOXLAB_BINARY_DIR "/screenshots/presenter.png")));
    QImage aud = p.audienceWindow()->grab().toImage();
    QVERIFY(aud.save(QStringLiteral(BOXLAB_BINARY_DIR "/screenshots/audience.png")));
    // Not blank: the slide's white area and dark text are both there.
    int dark = 0, light = 0;
    for (int y = 0; y < aud.height(); y += 4)
      for (int x = 0; x < aud.width(); x += 4) {
        int g = qGray(aud.pixel(x, y));
        dark += g < 100;
        light += g > 230;
      }
    QVERIFY(dark > 50);
    QVERIFY(light > 1000);
  }
};

QTEST_MAIN(PresenterTest)
#include "presenter_test.moc"
