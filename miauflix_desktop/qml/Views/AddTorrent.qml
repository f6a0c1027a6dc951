// Open torrent: a magnet link (or its bare info hash) typed on the on-screen keyboard or a
// real one, or pasted; or a .torrent file picked from a folder list. Everything works with
// arrows/OK/Back: keyboard -> Right -> Paste / Open link -> Right -> the folder list.
// The list is the shared FileList over the view model's FileBrowser (read off the GUI
// thread): OK enters a folder or opens a file and Back returns to the folder before (at
// the start folder Back leaves the screen). Backspace deletes in the field elsewhere.
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: view
    objectName: "addTorrentView"
    property QtObject vm
    // Back from the folder list at its start folder: the shell's Back (leave the screen).
    signal leave()

    // Shown: read the folder (again: a browser may have saved a .torrent meanwhile),
    // keeping focus on the same row. Left while fetching: stop the fetch (nobody waits
    // for it any more).
    onVisibleChanged: {
        if (!vm) return
        if (visible) vm.refresh(files.currentPath())
        else vm.cancel()
    }

    // Keys the focused key/button/row did not take: physical typing, Backspace, Ctrl+V.
    Keys.onPressed: (event) => {
        if (!view.vm) return
        if (event.matches(StandardKey.Paste)) {
            view.vm.paste(); event.accepted = true; return
        }
        if (event.key === Qt.Key_Backspace) {
            view.vm.backspace(); event.accepted = true; return
        }
        var t = event.text
        if (t.length === 1 && t >= " " && t !== "\u007f"
                && !(event.modifiers & (Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier))) {
            view.vm.typeText(t); event.accepted = true
        }
    }

    // Drag and drop from a file manager or a browser: a .torrent file or a magnet link.
    DropArea {
        anchors.fill: parent
        onDropped: (drop) => {
            if (!view.vm) return
            var text = drop.hasUrls ? drop.urls[0].toString() : drop.text
            if (!text) return
            view.vm.clear()
            view.vm.typeText(text)
            view.vm.submit()
            drop.accept()
        }
    }

    Text {
        id: heading
        x: parent.width * 0.05
        y: parent.height * 0.05
        text: "Open torrent"
        color: Theme.text
        font.family: Theme.fontFamily
        font.pixelSize: Theme.titleSize
        font.bold: true
    }

    // The magnet line (not focusable: the on-screen keyboard or a real one types into it).
    Rectangle {
        id: field
        x: parent.width * 0.05
        anchors.top: heading.bottom
        anchors.topMargin: Theme.px(24)
        width: parent.width * 0.9
        height: Theme.px(84)
        radius: Theme.radius
        color: Theme.surface
        Text {
            objectName: "addTorrentText"
            anchors.verticalCenter: parent.verticalCenter
            x: Theme.px(24)
            width: parent.width - Theme.px(48)
            text: view.vm && view.vm.text !== "" ? view.vm.text + "▏"
                  : "magnet:?xt=urn:btih:…  — or just the info hash"
            color: view.vm && view.vm.text !== "" ? Theme.text : Theme.textDim
            elide: Text.ElideLeft
            font.family: Theme.fontFamily
            font.pixelSize: Theme.headingSize
        }
    }

    // Progress and problems, in words.
    Item {
        id: status
        x: field.x
        anchors.top: field.bottom
        anchors.topMargin: Theme.px(16)
        width: field.width
        // Two lines always: a longer message must not push the keyboard down mid-use.
        height: Theme.px(84)
        Spinner {
            id: spinner
            objectName: "addTorrentSpinner"
            visible: view.vm ? view.vm.busy : false
            width: Theme.px(40); height: width
            anchors.verticalCenter: parent.verticalCenter
        }
        Text {
            id: messageText
            objectName: "addTorrentMessage"
            anchors.left: spinner.visible ? spinner.right : parent.left
            anchors.leftMargin: spinner.visible ? Theme.px(16) : 0
            anchors.right: parent.right
            anchors.verticalCenter: parent.verticalCenter
            wrapMode: Text.Wrap
            maximumLineCount: 2
            elide: Text.ElideRight
            text: view.vm && view.vm.message !== "" ? view.vm.message
                  : (view.vm && view.vm.offlineNote !== "" ? view.vm.offlineNote
                     : "Paste a magnet link, type one (or just its info hash), or pick a .torrent file on the right.")
            color: view.vm && view.vm.error ? Theme.error
                   : (view.vm && view.vm.message !== "" ? Theme.text : Theme.textDim)
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
    }

    OnScreenKeyboard {
        id: keyboard
        x: field.x
        anchors.top: status.bottom
        anchors.topMargin: Theme.px(32)
        focus: true
        onTyped: (t) => view.vm.typeText(t)
        onBackspace: view.vm.backspace()
        onClear: view.vm.clear()
        onRightEdge: pasteButton.forceActiveFocus()
    }

    Column {
        id: buttons
        anchors.left: keyboard.right
        anchors.leftMargin: Theme.px(48)
        anchors.top: keyboard.top
        spacing: Theme.px(24)
        FocusButton {
            id: pasteButton
            objectName: "addTorrentPaste"
            width: Theme.px(320)
            text: "Paste"
            onActivated: view.vm.paste()
            KeyNavigation.down: openButton
            Keys.onLeftPressed: keyboard.forceActiveFocus()
            Keys.onRightPressed: files.forceActiveFocus()
        }
        FocusButton {
            id: openButton
            objectName: "addTorrentOpen"
            width: Theme.px(320)
            text: "Open link"
            onActivated: view.vm.submit()
            KeyNavigation.up: pasteButton
            Keys.onLeftPressed: keyboard.forceActiveFocus()
            Keys.onRightPressed: files.forceActiveFocus()
        }
    }

    // The .torrent file list: folders and *.torrent files of one folder at a time.
    Rectangle {
        id: filePanel
        anchors.left: buttons.right
        anchors.leftMargin: Theme.px(48)
        anchors.right: field.right
        anchors.top: keyboard.top
        anchors.bottom: parent.bottom
        anchors.bottomMargin: parent.height * 0.05
        radius: Theme.radius
        color: Theme.surface
        FileList {
            id: files
            anchors.fill: parent
            anchors.margins: Theme.px(16)
            namePrefix: "torrentList"
            entryPrefix: "torrentEntry_"
            title: "Open a .torrent file"
            browser: view.vm ? view.vm.files : null
            // Back at the start folder (or "‹ Close" at the top): leave the screen.
            onCloseRequested: view.leave()
            Keys.onLeftPressed: pasteButton.forceActiveFocus()
        }
    }
}
