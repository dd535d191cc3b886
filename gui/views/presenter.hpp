// Presenter mode: an audience window (the slide, full screen on a second screen when there is
// one) and a presenter window (the slide, the next one, the notes, the slide number, a timer).
// Keys in either window: Right/Down/Space/PageDown next, Left/Up/PageUp/Backspace previous,
// Home/End first/last, B black screen, L open the slide's lab link, D show then run the slide's
// demo line by line, Escape closes. The presenter knows nothing of the engine: it asks through
// signals (labRequested, demoInput); presentDeck() in presenter_session.cpp wires them to the app.
#pragma once

#include <QElapsedTimer>
#include <QWidget>
#include <memory>

#include "boxlab/slides.hpp"

class QLabel;
class QPushButton;
class QTimer;

namespace boxlab::gui {

class SlidePainter;

// One slide, painted to fit; black when asked.
class SlideView : public QWidget {
  Q_OBJECT
 public:
  SlideView(const SlidePainter& painter, int count, QWidget* parent = nullptr);
  void setIndex(int index);  // -1: nothing (past the last slide)
  int index() const { return index_; }
  void setBlack(bool black);
  bool black() const { return black_; }

 protected:
  void paintEvent(QPaintEvent*) override;

 private:
  const SlidePainter& painter_;
  int count_;
  int index_ = 0;
  bool black_ = false;
};

class NotesView;

class Presenter : public QObject {
  Q_OBJECT
 public:
  // The deck has at least one slide.
  explicit Presenter(slides::Deck deck, QObject* parent = nullptr);
  ~Presenter() override;

  // Shows both windows: the audience one full screen on the second screen when there is one.
  void start();
  void close();

  const slides::Deck& deck() const { return deck_; }
  int index() const { return index_; }
  bool black() const { return black_; }
  QWidget* audienceWindow() const;
  QWidget* presenterWindow() const;
  SlideView* audienceView() const { return audience_.get(); }
  // The first lab link of the current slide (body before notes), as {lab, step}; lab "" if none.
  std::pair<QString, QString> labLink() const;
  // The demo line D would show or run next, "" when the slide has none left.
  QString pendingDemoLine() const;

 public slots:
  void go(int index);
  void next() { go(index_ + 1); }
  void previous() { go(index_ - 1); }
  void toggleBlack();
  void openLab();
  // First press: type the next demo line into the shell; second press: run it (Enter).
  void demoStep();
  // Back from a lab: raise both windows.
  void resume();

 signals:
  void indexChanged(int index);
  // lab "06", step "3", a step id or "" (the lab's introduction).
  void labRequested(const QString& lab, const QString& step);
  // Bytes for the host shell: a command line (shown, not run), then "\r" to run it.
  void demoInput(const QByteArray& bytes);
  void closed();

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void refresh();
  QStringList demoLines() const;

  slides::Deck deck_;
  std::unique_ptr<SlidePainter> painter_;
  int index_ = 0;
  bool black_ = false;
  int demoLine_ = 0;        // next line of the current slide's demo
  bool demoTyped_ = false;  // that line is in the shell, waiting for Enter
  std::unique_ptr<SlideView> audience_;
  std::unique_ptr<QWidget> presenter_;
  SlideView* current_ = nullptr;
  SlideView* next_ = nullptr;
  NotesView* notes_ = nullptr;
  QLabel* number_ = nullptr;
  QLabel* clock_ = nullptr;
  QLabel* demo_ = nullptr;
  QPushButton* labButton_ = nullptr;
  QPushButton* demoButton_ = nullptr;
  QTimer* tick_ = nullptr;
  QElapsedTimer elapsed_;
};

}  // namespace boxlab::gui
