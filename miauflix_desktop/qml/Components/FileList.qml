// A remote-walkable file list over a FileBrowser (ui/file_browser.py): the folder's path,
// then "‹ Parent folder" (or "‹ Close" at the top), folders, and the matching files.
// Up/Down move, OK enters a folder or chooses a file (the browser emits fileChosen),
// Back goes to the parent folder (focusing the folder it came from) and, at the top,
// asks to close (closeRequested). Reusable: subtitle files, .torrent files.
import QtQuick
import "../Style"

FocusScope {
    id: root
    objectName: "fileList"
    property QtObject browser
    property string title: "Open a file"
    signal closeRequested()

    readonly property var rows: browser ? browser.entries : []
    readonly property bool canGoUp: !!browser && browser.canGoUp

    // Focus the first file (or the first folder) after (re)opening.
    function start() {
        list.currentIndex = rows.length > 0 ? 1 : 0
        list.forceActiveFocus()
    }
    function goUp() {
        if (!browser) return
        var from = browser.path
        if (!browser.up()) { root.closeRequested(); return }
        list.currentIndex = Math.max(0, browser.indexOf(from) + 1)
    }
    function activate(row) {
        if (row === 0) { goUp(); return }
        var entry = rows[row - 1]
        browser.activate(row - 1)
        if (entry && entry.isDir) list.currentIndex = rows.length > 0 ? 1 : 0
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
            objectName: "fileListPath"
            width: parent.width
            text: root.browser ? root.browser.path : ""
            color: Theme.textDim
            elide: Text.ElideMiddle
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
        Text {
            objectName: "fileListError"
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
        objectName: "fileListView"
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
            objectName: index === 0 ? "fileListUp" : "fileEntry_" + (row ? row.name : "")
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
