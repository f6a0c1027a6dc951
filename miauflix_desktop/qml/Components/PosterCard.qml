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
    required property string kind
    required property real progress
    property string shelfKey: ""
    // The title on the card (focused strip, placeholder text). Off where the owner shows
    // the title itself, e.g. MediaGrid's caption under each card.
    property bool showTitle: true
    // Decode the poster only once the card has held posterUrl this long (ms). A grid
    // scrolled fast (a remote held down, a flick) reuses each card for many posters in
    // passing; decoding them all took the software renderer's CPU for posters no one saw.
    property int decodeDelay: 0
    // What the Image loads: posterUrl, after decodeDelay.
    property string shownUrl: decodeDelay > 0 ? "" : posterUrl
    // Tests read this: exactly one item in the window has it true.
    readonly property bool showsFocus: activeFocus
    signal activated(int mediaId, string kind)

    // Films keep the plain id (ids are per kind); series get a "tv" prefix.
    objectName: "card_" + shelfKey + "_" + (kind === "tv" ? "tv" : "") + mediaId
    width: Theme.cardWidth
    height: Theme.cardHeight
    scale: activeFocus ? Theme.focusScale : 1.0
    z: activeFocus ? 2 : 1
    Behavior on scale { NumberAnimation { duration: Theme.animMs } }

    onPosterUrlChanged: {
        if (decodeDelay <= 0)
            return
        shownUrl = ""
        if (posterUrl !== "")
            decodeTimer.restart()
    }
    Component.onCompleted: if (decodeDelay > 0 && posterUrl !== "") decodeTimer.restart()
    Timer {
        id: decodeTimer
        interval: card.decodeDelay
        onTriggered: card.shownUrl = card.posterUrl
    }

    Keys.onReturnPressed: card.activated(card.mediaId, card.kind)
    Keys.onEnterPressed: card.activated(card.mediaId, card.kind)

    // Nothing here clips, blends a layer or re-evaluates per frame: grids reuse cards
    // (MediaGrid's delegate pool) and llvmpipe pays for every pixel drawn.
    Image {
        id: poster
        anchors.fill: parent
        source: card.shownUrl
        visible: status === Image.Ready
        fillMode: Image.PreserveAspectCrop  // crops by texture coordinates, no clip needed
        asynchronous: true
        cache: true
        // Shown 1:1 unless focused (scaled up): nearest sampling is exact there and much
        // cheaper on a software renderer; only the focused card needs filtering.
        smooth: card.activeFocus
        // Decode at display size: thousands of cards must stay cheap.
        sourceSize.width: Theme.cardWidth
        sourceSize.height: Theme.cardHeight
    }

    // Placeholder: a calm gradient while the poster decodes, with the title when there is
    // no poster at all (unless the card's owner captions it: then the title shows once).
    Rectangle {
        anchors.fill: parent
        visible: !poster.visible
        gradient: Gradient {
            GradientStop { position: 0.0; color: "#3a3f58" }
            GradientStop { position: 1.0; color: "#1b1d25" }
        }
        Text {
            readonly property bool wanted: card.showTitle && parent.visible
                && (card.posterUrl === "" || poster.status === Image.Error)
            visible: wanted
            anchors.fill: parent
            anchors.margins: Theme.px(16)
            text: wanted ? card.title : ""  // no text layout for cards that never show it
            color: Theme.text
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
            verticalAlignment: Text.AlignVCenter
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
            font.bold: true
        }
    }

    // Title strip on the focused card so the name is readable from afar (shelves; a grid
    // captions every card itself and turns this off).
    Rectangle {
        visible: card.showTitle && card.activeFocus && poster.visible
        width: parent.width
        height: titleText.implicitHeight + Theme.px(16)
        y: parent.height - height
        color: "#cc000000"
        Text {
            id: titleText
            x: Theme.px(8)
            y: Theme.px(8)
            width: parent.width - Theme.px(16)
            text: parent.visible ? card.title : ""
            color: Theme.text
            elide: Text.ElideRight
            horizontalAlignment: Text.AlignHCenter
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
    }

    // "Continue watching": how far the viewer got.
    Rectangle {
        visible: card.progress >= 0
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.margins: Theme.px(12)
        height: Theme.px(8)
        radius: height / 2
        color: "#88000000"
        Rectangle {
            width: parent.width * Math.max(0, Math.min(1, card.progress))
            height: parent.height
            radius: parent.radius
            color: Theme.accent
        }
    }

    // Series are marked, so OK opening seasons instead of a Play button is no surprise.
    Rectangle {
        visible: card.kind === "tv"
        anchors.top: parent.top
        anchors.left: parent.left
        anchors.margins: Theme.px(10)
        color: "#cc000000"
        radius: Theme.px(6)
        implicitWidth: seriesLabel.implicitWidth + Theme.px(16)
        implicitHeight: seriesLabel.implicitHeight + Theme.px(6)
        Text {
            id: seriesLabel
            anchors.centerIn: parent
            text: "SERIES"
            color: Theme.text
            font.family: Theme.fontFamily
            font.pixelSize: Theme.px(20)
            font.bold: true
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
        onClicked: { card.forceActiveFocus(); card.activated(card.mediaId, card.kind) }
    }
}
