// One poster on a shelf. Focus = scaled up + bright outline; OK (Enter) activates it.
import QtQuick
import "../Style"

Item {
    id: card
    required property int mediaId
    required property string title
    required property int year
    required property string posterUrl
    required property bool isDemo
    property string shelfKey: ""
    // Tests read this: exactly one item in the window has it true.
    readonly property bool showsFocus: activeFocus
    signal activated(int mediaId)

    objectName: "card_" + shelfKey + "_" + mediaId
    width: Theme.cardWidth
    height: Theme.cardHeight
    scale: activeFocus ? Theme.focusScale : 1.0
    z: activeFocus ? 2 : 1
    Behavior on scale { NumberAnimation { duration: Theme.animMs } }

    Keys.onReturnPressed: card.activated(card.mediaId)
    Keys.onEnterPressed: card.activated(card.mediaId)

    Rectangle {
        id: frame
        anchors.fill: parent
        radius: Theme.radius
        color: Theme.surfaceRaised
        clip: true

        Image {
            id: poster
            anchors.fill: parent
            source: card.posterUrl
            visible: card.posterUrl !== "" && status === Image.Ready
            fillMode: Image.PreserveAspectCrop
            asynchronous: true
            // Decode at display size: thousands of cards must stay cheap.
            sourceSize.width: Theme.cardWidth
            sourceSize.height: Theme.cardHeight
        }

        // Placeholder: a calm gradient with the title, for titles without a poster.
        Rectangle {
            anchors.fill: parent
            visible: !poster.visible
            gradient: Gradient {
                GradientStop { position: 0.0; color: "#3a3f58" }
                GradientStop { position: 1.0; color: "#1b1d25" }
            }
            Text {
                anchors.fill: parent
                anchors.margins: Theme.px(16)
                text: card.title
                color: Theme.text
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
                font.bold: true
            }
        }

        // Title strip under the focused card so the name is readable from afar.
        Rectangle {
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.bottom: parent.bottom
            height: titleText.implicitHeight + Theme.px(16)
            color: "#cc000000"
            visible: card.activeFocus && poster.visible
            Text {
                id: titleText
                anchors.centerIn: parent
                width: parent.width - Theme.px(16)
                text: card.title
                color: Theme.text
                elide: Text.ElideRight
                horizontalAlignment: Text.AlignHCenter
                font.family: Theme.fontFamily
                font.pixelSize: Theme.smallSize
            }
        }
    }

    DemoBadge {
        visible: card.isDemo
        anchors.top: parent.top
        anchors.right: parent.right
        anchors.margins: Theme.px(10)
    }

    Rectangle {
        objectName: "focusRing"
        anchors.fill: parent
        anchors.margins: -Theme.focusBorder
        radius: Theme.radius + Theme.focusBorder
        color: "transparent"
        border.color: Theme.focusRing
        border.width: Theme.focusBorder
        visible: card.showsFocus
    }

    MouseArea {
        anchors.fill: parent
        onClicked: { card.forceActiveFocus(); card.activated(card.mediaId) }
    }
}
