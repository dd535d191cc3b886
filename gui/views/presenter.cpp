#include "presenter.hpp"

#include <QApplication>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QScreen>
#include <QTimer>
#include <QVBoxLayout>

#include "slide_painter.hpp"

namespace boxlab::gui {

SlideView::SlideView(const SlidePainter& painter, int count, QWidget* parent)
    : QWidget(parent), painter_(painter), count_(count) {
  setMinimumSize(160, 90);
  setFocusPolicy(Qt::StrongFocus);
}

void SlideView::setIndex(int index) {
  index_ = index;
  update();
}

void SlideView::setBlack(bool black) {
  black_ = black;
  update();
}

void SlideView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), Qt::black);
  if (black_) return;
  if (index_ < 0 || index_ >= count_) {
    p.setPen(Qt::gray);
    p.drawText(rect(), Qt::AlignCenter, tr("End of the deck"));
    return;
  }
  painter_.paint_slide(p, index_, QRectF(rect()));
}

// The current slide's speaker notes, painted by the same code as the handout.
class NotesView : public QWidget {
 public:
  NotesView(const SlidePainter& painter, QWidget* parent) : QWidget(parent), painter_(painter) {}
  void setIndex(int i) {
    index_ = i;
    update();
  }

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    painter_.paint_notes(p, index_, QRectF(rect()).adjusted(16, 12, -16, -12), 20);
  }

 private:
  const SlidePainter& painter_;
  int index_ = 0;
};

Presenter::Presenter(slides::Deck deck, QObject* parent)
    : QObject(parent), deck_(std::move(deck)), painter_(std::make_unique<SlidePainter>(deck_)) {
  const int count = static_cast<int>(deck_.slides.size());
  audience_ = std::make_unique<SlideView>(*painter_, count);
  audience_->setWindowTitle(tr("%1 (audience)").arg(QString::fromStdString(deck_.title)));
  audience_->setObjectName(QStringLiteral("audience"));
  audience_->resize(960, 540);
  audience_->installEventFilter(this);

  presenter_ = std::make_unique<QWidget>();
  presenter_->setObjectName(QStringLiteral("presenter"));
  presenter_->setWindowTitle(tr("%1 (presenter)").arg(QString::fromStdString(deck_.title)));
  presenter_->resize(1280, 760);
  presenter_->installEventFilter(this);
  auto* outer = new QVBoxLayout(presenter_.get());
  auto* top = new QHBoxLayout;
  current_ = new SlideView(*painter_, count, presenter_.get());
  current_->setObjectName(QStringLiteral("current"));
  top->addWidget(current_, 3);
  auto* side = new QVBoxLayout;
  auto* nextLabel = new QLabel(tr("Next"), presenter_.get());
  side->addWidget(nextLabel);
  next_ = new SlideView(*painter_, count, presenter_.get());
  next_->setObjectName(QStringLiteral("next"));
  next_->setMinimumSize(320, 180);
  side->addWidget(next_, 1);
  number_ = new QLabel(presenter_.get());
  clock_ = new QLabel(presenter_.get());
  QFont big = number_->font();
  big.setPixelSize(28);
  big.setBold(true);
  number_->setFont(big);
  clock_->setFont(big);
  side->addWidget(number_);
  side->addWidget(clock_);
  demo_ = new QLabel(presenter_.get());
  demo_->setWordWrap(true);
  demo_->setTextFormat(Qt::PlainText);
  side->addWidget(demo_);
  labButton_ = new QPushButton(presenter_.get());
  demoButton_ = new QPushButton(presenter_.get());
  auto* backButton = new QPushButton(tr("Back to the slides"), presenter_.get());
  for (QPushButton* b : {labButton_, demoButton_, backButton}) {
    b->setFocusPolicy(Qt::NoFocus);  // keys stay with the presenter's navigation
    side->addWidget(b);
  }
  side->addStretch(1);
  top->addLayout(side, 2);
  outer->addLayout(top, 3);
  notes_ = new NotesView(*painter_, presenter_.get());
  notes_->setObjectName(QStringLiteral("notes"));
  notes_->setMinimumHeight(160);
  outer->addWidget(notes_, 2);
  for (QWidget* w : {static_cast<QWidget*>(current_), static_cast<QWidget*>(next_),
                     static_cast<QWidget*>(notes_)})
    w->installEventFilter(this);
  connect(labButton_, &QPushButton::clicked, this, &Presenter::openLab);
  connect(demoButton_, &QPushButton::clicked, this, &Presenter::demoStep);
  connect(backButton, &QPushButton::clicked, this, &Presenter::resume);

  tick_ = new QTimer(this);
  connect(tick_, &QTimer::timeout, this, [this] {
    qint64 s = elapsed_.isValid() ? elapsed_.elapsed() / 1000 : 0;
    clock_->setText(QStringLiteral("%1:%2")
                        .arg(s / 60, 2, 10, QLatin1Char('0'))
                        .arg(s % 60, 2, 10, QLatin1Char('0')));
  });
  tick_->start(1000);
  clock_->setText(QStringLiteral("00:00"));
  refresh();
}

Presenter::~Presenter() = default;

QWidget* Presenter::audienceWindow() const {
  return audience_.get();
}
QWidget* Presenter::presenterWindow() const {
  return presenter_.get();
}

void Presenter::start() {
  elapsed_.start();
  const auto screens = QGuiApplication::screens();
  presenter_->show();
  if (screens.size() > 1) {  // the projector is the screen the presenter is not on
    QScreen* mine = presenter_->screen();
    for (QScreen* s : screens)
      if (s != mine) {
        audience_->setScreen(s);
        audience_->setGeometry(s->geometry());
        break;
      }
    audience_->showFullScreen();
  } else {
    audience_->show();
  }
  presenter_->raise();
  presenter_->activateWindow();
}

void Presenter::close() {
  audience_->hide();
  presenter_->hide();
  emit closed();
}

void Presenter::go(int index) {
  const int count = static_cast<int>(deck_.slides.size());
  index = std::clamp(index, 0, count - 1);
  if (index == index_) return;
  index_ = index;
  demoLine_ = 0;
  demoTyped_ = false;
  refresh();
  emit indexChanged(index_);
}

void Presenter::toggleBlack() {
  black_ = !black_;
  audience_->setBlack(black_);
  refresh();
}

std::pair<QString, QString> Presenter::labLink() const {
  const slides::Slide& s = deck_.slides.at(static_cast<size_t>(index_));
  const slides::LabLink* pick = nullptr;
  for (const auto& l : s.links)  // one on the slide itself wins over one in the notes
    if (!l.lab.empty() && (!pick || (pick->in_notes && !l.in_notes))) pick = &l;
  if (!pick) return {};
  return {QString::fromStdString(pick->lab), QString::fromStdString(pick->step)};
}

QStringList Presenter::demoLines() const {
  QStringList out;
  for (const slides::CodeBlock* c : deck_.slides.at(static_cast<size_t>(index_)).demos())
    for (const QString& line : QString::fromStdString(c->code).split(QLatin1Char('\n')))
      if (!line.trimmed().isEmpty()) out << line;
  return out;
}

QString Presenter::pendingDemoLine() const {
  QStringList lines = demoLines();
  return demoLine_ < lines.size() ? lines[demoLine_] : QString();
}

void Presenter::openLab() {
  auto [lab, step] = labLink();
  if (lab.isEmpty()) return;
  emit labRequested(lab, step);
}

void Presenter::demoStep() {
  QString line = pendingDemoLine();
  if (line.isEmpty()) return;
  if (!demoTyped_) {
    emit demoInput(line.toUtf8());
    demoTyped_ = true;
  } else {
    emit demoInput(QByteArrayLiteral("\r"));
    demoTyped_ = false;
    ++demoLine_;
  }
  refresh();
}

void Presenter::resume() {
  for (QWidget* w : {static_cast<QWidget*>(audience_.get()), presenter_.get()}) {
    w->raise();
  }
  presenter_->activateWindow();
}

void Presenter::refresh() {
  const int count = static_cast<int>(deck_.slides.size());
  audience_->setIndex(index_);
  current_->setIndex(index_);
  current_->setBlack(black_);
  next_->setIndex(index_ + 1 < count ? index_ + 1 : -1);
  notes_->setIndex(index_);
  number_->setText(
      tr("Slide %1 / %2%3").arg(index_ + 1).arg(count).arg(black_ ? tr("  (black)") : QString()));
  auto [lab, step] = labLink();
  labButton_->setVisible(!lab.isEmpty());
  labButton_->setText(step.isEmpty() ? tr("L: open lab %1").arg(lab)
                                     : tr("L: open lab %1, step %2").arg(lab, step));
  QString line = pendingDemoLine();
  demoButton_->setVisible(!line.isEmpty());
  demoButton_->setText(demoTyped_ ? tr("D: run it") : tr("D: type the demo command"));
  demo_->setText(line.isEmpty() ? QString() : QStringLiteral("$ ") + line);
}

bool Presenter::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() != QEvent::KeyPress) return QObject::eventFilter(watched, event);
  auto* k = static_cast<QKeyEvent*>(event);
  switch (k->key()) {
    case Qt::Key_Right:
    case Qt::Key_Down:
    case Qt::Key_Space:
    case Qt::Key_PageDown:
      next();
      return true;
    case Qt::Key_Left:
    case Qt::Key_Up:
    case Qt::Key_PageUp:
    case Qt::Key_Backspace:
      previous();
      return true;
    case Qt::Key_Home:
      go(0);
      return true;
    case Qt::Key_End:
      go(static_cast<int>(deck_.slides.size()) - 1);
      return true;
    case Qt::Key_B:
    case Qt::Key_Period:
      toggleBlack();
      return true;
    case Qt::Key_L:
      openLab();
      return true;
    case Qt::Key_D:
      demoStep();
      return true;
    case Qt::Key_Escape:
      close();
      return true;
    default:
      return QObject::eventFilter(watched, event);
  }
}

}  // namespace boxlab::gui
