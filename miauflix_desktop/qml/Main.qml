// The window and the screen stack. Navigation state lives in AppViewModel; this file
// mirrors its pushed/popped signals and routes the global keys (Back, F11, Menu).
import QtQuick
import QtQuick.Window
import QtQuick.Controls.Basic
import "Style"
import "Views"

Window {
    id: root
    required property QtObject app

    width: 1280
    height: 720
    visible: true
    title: "Miauflix"
    color: Theme.background
    visibility: app.fullscreen ? Window.FullScreen : Window.Windowed

    Binding {
        target: Theme
        property: "scale"
        value: Math.max(0.25, Math.min(root.width / 1920, root.height / 1080))
    }

    FocusScope {
        id: shell
        objectName: "shell"
        anchors.fill: parent
        focus: true

        // Keys not taken by the focused screen arrive here.
        Keys.onPressed: (event) => {
            switch (event.key) {
            case Qt.Key_Escape:
            case Qt.Key_Backspace:
            case Qt.Key_Back:
                root.app.back(); event.accepted = true; break
            case Qt.Key_F11:
                root.app.toggleFullscreen(); event.accepted = true; break
            case Qt.Key_Menu:
                event.accepted = true; break
            }
        }

        StackView {
            id: stack
            objectName: "screenStack"
            anchors.fill: parent
            initialItem: home
            // Quick fades: a remote user presses fast, long slides feel laggy.
            pushEnter: Transition { NumberAnimation { property: "opacity"; from: 0; to: 1; duration: 150 } }
            pushExit: Transition { NumberAnimation { property: "opacity"; from: 1; to: 0; duration: 150 } }
            popEnter: Transition { NumberAnimation { property: "opacity"; from: 0; to: 1; duration: 150 } }
            popExit: Transition { NumberAnimation { property: "opacity"; from: 1; to: 0; duration: 150 } }
        }

        // The screens are created once and pushed as items, so StackView never destroys
        // them: Home keeps its focused card, and the mpv item keeps its render context.
        Home {
            id: home
            vm: root.app.home
            visible: false
            onOpenDetails: (id) => root.app.openDetails(id)
        }
        Details {
            id: details
            vm: root.app.details
            visible: false
        }
        Player {
            id: player
            vm: root.app.player
            visible: false
        }
    }

    Connections {
        target: root.app
        function onPushed(screen) {
            stack.push(screen === "player" ? player : details)
            stack.currentItem.forceActiveFocus()
        }
        function onPopped() {
            stack.pop()
            stack.currentItem.forceActiveFocus()
        }
    }

    Component.onCompleted: home.forceActiveFocus()
}
