// 10,000 poster cards in a GridView (bench/catalog.py "grid"). `posters` is the model;
// `withImages` picks the poster-Image card or the plain-Rectangle card (the reference).
import QtQuick

Window {
    id: win
    width: 1920
    height: 1080
    visible: true
    color: "#101014"

    Component {
        id: imageCard
        Item {
            required property int index
            required property string source
            required property string title
            width: 171
            height: 256 + 32
            Rectangle { width: 171; height: 256; radius: 6; color: "#2a2a33" }
            Image {
                width: 171
                height: 256
                sourceSize.width: 171
                sourceSize.height: 256
                asynchronous: true
                fillMode: Image.PreserveAspectCrop
                source: parent.source
            }
            Text {
                y: 262; width: 171; text: parent.title; color: "white"
                font.pixelSize: 14; elide: Text.ElideRight
            }
        }
    }

    Component {
        id: rectCard
        Item {
            required property int index
            required property string title
            width: 171
            height: 256 + 32
            Rectangle {
                width: 171; height: 256; radius: 6
                color: Qt.hsla((parent.index % 37) / 37, 0.4, 0.3, 1)
            }
            Text {
                y: 262; width: 171; text: parent.title; color: "white"
                font.pixelSize: 14; elide: Text.ElideRight
            }
        }
    }

    GridView {
        id: grid
        objectName: "grid"
        anchors.fill: parent
        anchors.margins: 24
        cellWidth: 171 + 16
        cellHeight: 256 + 40
        model: posters
        boundsBehavior: Flickable.StopAtBounds
        delegate: withImages ? imageCard : rectCard

        NumberAnimation {
            id: scroller
            objectName: "scroller"
            target: grid
            property: "contentY"
            from: 0
            duration: 5000
        }
    }
}
