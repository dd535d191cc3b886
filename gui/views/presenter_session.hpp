// Presenter mode inside boxlab-gui: a lab link opens that lab step in the main window (raised in
// front of the presenter window; "Back to the slides" returns), and a demo line goes to the
// host shell's console tab (opened when there is none yet).
#pragma once

#include <QString>

class QWidget;

namespace boxlab::gui {

class ConsoleTabs;
class Presenter;
class Session;

// Loads the deck (a file, or "02"/"namespaces" in the slides folder found from the app's
// location), starts presenting and wires it to the app. nullptr and a message box on error.
Presenter* presentDeck(QWidget* window, Session* session, ConsoleTabs* consoles,
                       const QString& deck);
// Asks which deck (File > Present slides...), then presentDeck().
void choosePresentation(QWidget* window, Session* session, ConsoleTabs* consoles);

// Wires a presenter to the app (what presentDeck does after loading; tests call it directly).
void connectPresenter(Presenter* presenter, QWidget* window, Session* session,
                      ConsoleTabs* consoles);

}  // namespace boxlab::gui
