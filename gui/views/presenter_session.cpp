#include "presenter_session.hpp"

#include <QCoreApplication>
#include <QInputDialog>
#include <QMessageBox>
#include <QPointer>
#include <QStringList>

#include "boxlab/error.hpp"
#include "boxlab/slides.hpp"
#include "console_tabs.hpp"
#include "lab_list_model.hpp"
#include "presenter.hpp"
#include "session.hpp"

namespace boxlab::gui {
namespace fsys = std::filesystem;

namespace {

fsys::path slidesDir() {
  return slides::find_slides_dir(QCoreApplication::applicationFilePath().toStdString());
}

}  // namespace

void connectPresenter(Presenter* presenter, QWidget* window, Session* session,
                      ConsoleTabs* consoles) {
  QObject::connect(presenter, &Presenter::labRequested, window,
                   [window, session](const QString& lab, const QString& step) {
                     QModelIndex li = session->labs()->findLab(lab);
                     if (!li.isValid()) return;
                     bool numeric = false;
                     int n = step.toInt(&numeric);
                     session->openStep(li.data(LabListModel::LabIdRole).toString(),
                                       numeric ? n : 0);
                     window->showNormal();
                     window->raise();
                     window->activateWindow();
                   });
  // Demo bytes for the host shell; held until it opens when there is none yet.
  auto pending = std::make_shared<QByteArray>();
  QObject::connect(presenter, &Presenter::demoInput, window,
                   [session, consoles, pending](const QByteArray& bytes) {
                     QString host = session->hostShellSession();
                     if (host.isEmpty()) {
                       bool first = pending->isEmpty();
                       pending->append(bytes);
                       if (first) session->openHostShell();
                       return;
                     }
                     consoles->showHost();
                     session->sendInput(host, bytes);
                   });
  QObject::connect(session, &Session::hostShellOpened, presenter,
                   [session, consoles, pending](const QString& s, const QString&) {
                     if (pending->isEmpty()) return;
                     consoles->showHost();
                     session->sendInput(s, *pending);
                     pending->clear();
                   });
}

Presenter* presentDeck(QWidget* window, Session* session, ConsoleTabs* consoles,
                       const QString& deck) {
  try {
    fsys::path file = deck.endsWith(QLatin1String(".md"))
                          ? fsys::path(deck.toStdString())
                          : slides::find_deck(slidesDir(), deck.toStdString());
    slides::Deck d = slides::load_deck(file);
    if (d.slides.empty()) throw Error(file.string() + ": the deck has no slides");
    auto* presenter = new Presenter(std::move(d), window);
    connectPresenter(presenter, window, session, consoles);
    QObject::connect(presenter, &Presenter::closed, presenter, &QObject::deleteLater);
    presenter->start();
    return presenter;
  } catch (const std::exception& e) {
    QMessageBox::warning(window, QObject::tr("Present slides"), QString::fromUtf8(e.what()));
    return nullptr;
  }
}

void choosePresentation(QWidget* window, Session* session, ConsoleTabs* consoles) {
  QStringList items;
  QStringList files;
  try {
    for (const auto& f : slides::deck_files(slidesDir())) {
      slides::Deck d = slides::load_deck(f);
      items << QStringLiteral("%1  %2").arg(QString::fromStdString(d.number),
                                            QString::fromStdString(d.title));
      files << QString::fromStdString(f.string());
    }
  } catch (const std::exception& e) {
    QMessageBox::warning(window, QObject::tr("Present slides"), QString::fromUtf8(e.what()));
    return;
  }
  bool ok = false;
  QString pick = QInputDialog::getItem(window, QObject::tr("Present slides"), QObject::tr("Deck:"),
                                       items, 0, false, &ok);
  if (!ok) return;
  presentDeck(window, session, consoles, files.value(items.indexOf(pick)));
}

}  // namespace boxlab::gui
