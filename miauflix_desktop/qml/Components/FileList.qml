// A remote-walkable file list over a FileBrowser (ui/file_browser.py): the folder's path,
// then "‹ Parent folder" (or "‹ Close" at the top), folders, and the matching files.
// Up/Down move, OK enters a folder or chooses a file (the browser emits fileChosen),
// Back goes to the folder before (focusing the folder it came from) and, when there is
// none, asks to close (closeRequested). Folders are read off the GUI thread: until one
// arrives the list says "Loading…" and Back stops the reading. Reusable: subtitle files
// (Tracks panel), .torrent files (Open torrent).
import QtQuick
import "../Style"

FocusScope {
    id: root
    objectName: namePrefix
    property QtObject browser
    property string title: "Open a file"
    // Object names: namePrefix + "Path"/"Error"/"View"/"Up", entryPrefix + the row's name.
    property string namePrefix: "fileList"
    property string entryPrefix: "fileEntry_"
    signal closeRequested()

    readonly property var rows: browser ? browser.entries : []
    readonly property bool canGoUp: !!browser && browser.canGoUp

    // Focus the first entry now; the browser's listing, once read, says which row.
    function start() {
        list.currentIndex = rows.length > 0 ? 1 : 0
        list.forceActiveFocus()
    }
    // The focused row's path ("" on the "‹" row): refresh(path) keeps focus on it.
    function currentPath() {
        var row = list.currentIndex > 0 ? rows[list.currentIndex - 1] : null
        return row ? row.path : ""
    }
    // Read the folder again, keeping focus on the same file or folder.
    function reload() {
        if (browser) browser.refresh(currentPath())
    }
    function goUp() {
        if (browser && !browser.up()) root.closeRequested()
    }
    function activate(row) {
        if (!browser) return
        if (row === 0) {
            if (!browser.openParent()) root.closeRequested()
            return
        }
        browser.activate(row - 1)
    }

    Connections {
        target: root.browser
        // A listing arrived: focus the row the browser names (-1: the "‹" row).
        function onListed() { list.currentIndex = root.browser.focusRow + 1 }
    }

    Keys.onPressed: (event) => {
        switch (event.key) {
        case Qt.Key_Escape:
        case Qt.Key_Backspace:
        case Qt.Key_Back:
            goUp(); event.accepted = true; break
        }
    }

    Column {
        id: header
        width: parent.width
        spacing: Theme.px(6)
        Text {
            text: root.title
            color: Theme.text
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
            font.bold: true
        }
        Text {
            objectName: root.namePrefix + "Path"
            width: parent.width
            text: root.browser ? root.browser.path : ""
            color: Theme.textDim
            elide: Text.ElideMiddle
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
        Text {
            objectName: root.namePrefix + "Error"
            width: parent.width
            visible: text !== ""
            text: root.browser ? (root.browser.error || root.browser.note) : ""
            color: root.browser && root.browser.error ? Theme.accent : Theme.textDim
            wrapMode: Text.WordWrap
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
    }

    ListView {
        id: list
        objectName: root.namePrefix + "View"
        anchors.top: header.bottom
        anchors.topMargin: Theme.px(16)
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        clip: true
        focus: true
        spacing: Theme.px(6)
        // Room for the focused row's 1.03 scale and ring inside the clip.
        leftMargin: Theme.px(28); rightMargin: Theme.px(28)
        topMargin: Theme.px(6); bottomMargin: Theme.px(6)
        keyNavigationWraps: false
        highlightMoveDuration: Theme.animMs
        preferredHighlightBegin: height * 0.3
        preferredHighlightEnd: height * 0.7
        highlightRangeMode: ListView.ApplyRange
        model: root.rows.length + 1
        delegate: ListEntry {
            required property int index
            readonly property var row: index > 0 && index - 1 < root.rows.length
                                       ? root.rows[index - 1] : null
            objectName: index === 0 ? root.namePrefix + "Up"
                        : root.entryPrefix + (row ? row.name : "")
            width: ListView.view.width - Theme.px(56)
            text: index === 0 ? (root.canGoUp ? "‹ Parent folder" : "‹ Close")
                  : row ? row.name : ""
            detail: row ? row.detail : ""
            onActivated: root.activate(index)
        }
        footer: Text {
            width: list.width - Theme.px(56)
            visible: text !== ""
            topPadding: Theme.px(12)
            leftPadding: Theme.px(24)
            text: root.browser ? root.browser.emptyText : ""
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
    }
}
