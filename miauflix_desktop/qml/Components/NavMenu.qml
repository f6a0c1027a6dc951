// The Menu (remote's Menu key): a panel over the left edge with the top-level sections.
// Up/Down pick, OK goes there, Back closes it.
import QtQuick
import "../Style"

FocusScope {
    id: menu
    property var sections: []
    property string current: ""
    signal chosen(string section)

    readonly property var labels: ({ home: "Home", browse: "Browse", search: "Search", setup: "TMDB key & language", activity: "Activity", addtorrent: "Open torrent", downloads: "Downloads" })

    objectName: "navMenu"

    // Dim what is underneath; clicking outside closes like Back.
    Rectangle {
        anchors.fill: parent
        color: "#99000000"
        MouseArea { anchors.fill: parent; onClicked: menu.chosen("") }
    }
    Rectangle {
        id: panel
        width: Math.max(Theme.px(520), parent.width * 0.28)
        height: parent.height
        color: Theme.surface
        Text {
            id: brand
            x: parent.width * 0.12
            y: menu.height * 0.05
            text: "Miauflix"
            color: Theme.accent
            font.family: Theme.fontFamily
            font.pixelSize: Theme.titleSize
            font.bold: true
        }
        ListView {
            id: entries
            objectName: "navMenuList"
            x: parent.width * 0.08
            width: parent.width * 0.84
            anchors.top: brand.bottom
            anchors.topMargin: Theme.px(48)
            height: contentHeight
            spacing: Theme.px(12)
            focus: true
            keyNavigationEnabled: true
            interactive: false
            model: menu.sections
            delegate: ListEntry {
                required property int index
                required property string modelData
                objectName: "menu_" + modelData
                width: ListView.view.width
                text: menu.labels[modelData] || modelData
                selected: modelData === menu.current
                focus: ListView.isCurrentItem
                onActivated: menu.chosen(modelData)
            }
        }
    }

    function open() {
        var i = sections.indexOf(current)
        entries.currentIndex = i >= 0 ? i : 0
        forceActiveFocus()
    }
}
