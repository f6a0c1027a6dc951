// The window and the screen stack. Navigation state lives in AppViewModel; this file
// mirrors its pushed/popped/reset signals and routes the global keys (Back, Menu, F11).
import QtQuick
import QtQuick.Window
import QtQuick.Controls.Basic
import "Style"
import "Views"
import "Components"

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

    function screenItem(name) {
        switch (name) {
        case "home": return home
        case "browse": return browse
        case "search": return search
        case "details": return details
        case "series": return series
        case "episodes": return episodes
        case "player": return player
        case "setup": return setup
        case "activity": return activity
        case "addtorrent": return addTorrent
        case "downloads": return downloadsView
        }
        return home
    }
    function focusCurrent() {
        if (root.app.menuOpen) menu.open()
        else if (stack.currentItem) stack.currentItem.forceActiveFocus()
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
                root.app.toggleMenu(); event.accepted = true; break
            }
        }

        StackView {
            id: stack
            objectName: "screenStack"
            anchors.fill: parent
            anchors.topMargin: banner.height
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
            onOpenItem: (kind, id) => root.app.openItem(kind, id)
        }
        Browse {
            id: browse
            vm: root.app.browse
            visible: false
            onOpenItem: (kind, id) => root.app.openItem(kind, id)
        }
        Search {
            id: search
            vm: root.app.search
            visible: false
            onOpenItem: (kind, id) => root.app.openItem(kind, id)
        }
        Details {
            id: details
            vm: root.app.details
            visible: false
        }
        Series {
            id: series
            vm: root.app.seasons
            visible: false
        }
        Episodes {
            id: episodes
            vm: root.app.episodes
            visible: false
        }
        Player {
            id: player
            vm: root.app.player
            visible: false
        }
        Setup {
            id: setup
            vm: root.app.setup
            visible: false
        }
        Activity {
            id: activity
            vm: root.app.activity
            visible: false
        }
        AddTorrent {
            id: addTorrent
            vm: root.app.addTorrent
            visible: false
            onLeave: root.app.back()
        }

        Downloads {
            id: downloadsView
            vm: root.app.downloads
            visible: false
            onBrowseRequested: root.app.openSection("browse")
        }

        NavMenu {
            id: menu
            anchors.fill: parent
            anchors.topMargin: banner.height
            visible: root.app.menuOpen
            sections: root.app.sections
            current: root.app.screen
            onChosen: (section) => section === "" ? root.app.back() : root.app.openSection(section)
        }

        // Over everything, never focusable: problems show without getting in the way.
        Banner {
            id: banner
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.top: parent.top
            text: root.app.status ? root.app.status.banner : ""
        }
    }

    Connections {
        target: root.app
        function onPushed(screen) {
            stack.push(root.screenItem(screen))
            root.focusCurrent()
        }
        function onPopped() {
            stack.pop()
            root.focusCurrent()
        }
        function onReset() {
            var names = root.app.stack
            var items = names.map(n => root.screenItem(n))
            if (stack.depth === 1 && items.length === 1 && stack.currentItem === items[0]) {
                root.focusCurrent(); return
            }
            stack.clear(StackView.Immediate)
            // Pushing the items of the previous stack hides them again (StackView hides
            // items that are not current once their transition ends).
            stack.push(items, StackView.Immediate)
            root.focusCurrent()
        }
        function onMenuOpenChanged() {
            root.focusCurrent()
        }
    }

    Component.onCompleted: home.forceActiveFocus()
}
