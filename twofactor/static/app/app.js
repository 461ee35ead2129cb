var Qt=Object.defineProperty;var Xt=(e,t,n)=>t in e?Qt(e,t,{enumerable:!0,configurable:!0,writable:!0,value:n}):e[t]=n;var le=(e,t,n)=>Xt(e,typeof t!="symbol"?t+"":t,n);var Te,A,st,Zt,oe,tt,it,at,ct,qe,Ue,Me,en,me={},ut=[],tn=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,Ae=Array.isArray;function te(e,t){for(var n in t)e[n]=t[n];return e}function We(e){e&&e.parentNode&&e.parentNode.removeChild(e)}function He(e,t,n){var r,i,o,c={};for(o in t)o=="key"?r=t[o]:o=="ref"?i=t[o]:c[o]=t[o];if(arguments.length>2&&(c.children=arguments.length>3?Te.call(arguments,2):n),typeof e=="function"&&e.defaultProps!=null)for(o in e.defaultProps)c[o]===void 0&&(c[o]=e.defaultProps[o]);return Ee(e,c,r,i,null)}function Ee(e,t,n,r,i){var o={type:e,props:t,key:n,ref:r,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:i??++st,__i:-1,__u:0};return i==null&&A.vnode!=null&&A.vnode(o),o}function xe(e){return e.children}function Ce(e,t){this.props=e,this.context=t}function de(e,t){if(t==null)return e.__?de(e.__,e.__i+1):null;for(var n;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null)return n.__e;return typeof e.type=="function"?de(e):null}function lt(e){var t,n;if((e=e.__)!=null&&e.__c!=null){for(e.__e=e.__c.base=null,t=0;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null){e.__e=e.__c.base=n.__e;break}return lt(e)}}function nt(e){(!e.__d&&(e.__d=!0)&&oe.push(e)&&!ke.__r++||tt!=A.debounceRendering)&&((tt=A.debounceRendering)||it)(ke)}function ke(){for(var e,t,n,r,i,o,c,l=1;oe.length;)oe.length>l&&oe.sort(at),e=oe.shift(),l=oe.length,e.__d&&(n=void 0,r=void 0,i=(r=(t=e).__v).__e,o=[],c=[],t.__P&&((n=te({},r)).__v=r.__v+1,A.vnode&&A.vnode(n),Ye(t.__P,n,r,t.__n,t.__P.namespaceURI,32&r.__u?[i]:null,o,i??de(r),!!(32&r.__u),c),n.__v=r.__v,n.__.__k[n.__i]=n,ft(o,n,c),r.__e=r.__=null,n.__e!=i&&lt(n)));ke.__r=0}function dt(e,t,n,r,i,o,c,l,u,s,f){var a,p,y,_,h,$,m,b=r&&r.__k||ut,v=t.length;for(u=nn(n,t,b,u,v),a=0;a<v;a++)(y=n.__k[a])!=null&&(p=y.__i==-1?me:b[y.__i]||me,y.__i=a,$=Ye(e,y,p,i,o,c,l,u,s,f),_=y.__e,y.ref&&p.ref!=y.ref&&(p.ref&&Be(p.ref,null,y),f.push(y.ref,y.__c||_,y)),h==null&&_!=null&&(h=_),(m=!!(4&y.__u))||p.__k===y.__k?u=pt(y,u,e,m):typeof y.type=="function"&&$!==void 0?u=$:_&&(u=_.nextSibling),y.__u&=-7);return n.__e=h,u}function nn(e,t,n,r,i){var o,c,l,u,s,f=n.length,a=f,p=0;for(e.__k=new Array(i),o=0;o<i;o++)(c=t[o])!=null&&typeof c!="boolean"&&typeof c!="function"?(u=o+p,(c=e.__k[o]=typeof c=="string"||typeof c=="number"||typeof c=="bigint"||c.constructor==String?Ee(null,c,null,null,null):Ae(c)?Ee(xe,{children:c},null,null,null):c.constructor==null&&c.__b>0?Ee(c.type,c.props,c.key,c.ref?c.ref:null,c.__v):c).__=e,c.__b=e.__b+1,l=null,(s=c.__i=rn(c,n,u,a))!=-1&&(a--,(l=n[s])&&(l.__u|=2)),l==null||l.__v==null?(s==-1&&(i>f?p--:i<f&&p++),typeof c.type!="function"&&(c.__u|=4)):s!=u&&(s==u-1?p--:s==u+1?p++:(s>u?p--:p++,c.__u|=4))):e.__k[o]=null;if(a)for(o=0;o<f;o++)(l=n[o])!=null&&(2&l.__u)==0&&(l.__e==r&&(r=de(l)),_t(l,l));return r}function pt(e,t,n,r){var i,o;if(typeof e.type=="function"){for(i=e.__k,o=0;i&&o<i.length;o++)i[o]&&(i[o].__=e,t=pt(i[o],t,n,r));return t}e.__e!=t&&(r&&(t&&e.type&&!t.parentNode&&(t=de(e)),n.insertBefore(e.__e,t||null)),t=e.__e);do t=t&&t.nextSibling;while(t!=null&&t.nodeType==8);return t}function rn(e,t,n,r){var i,o,c,l=e.key,u=e.type,s=t[n],f=s!=null&&(2&s.__u)==0;if(s===null&&e.key==null||f&&l==s.key&&u==s.type)return n;if(r>(f?1:0)){for(i=n-1,o=n+1;i>=0||o<t.length;)if((s=t[c=i>=0?i--:o++])!=null&&(2&s.__u)==0&&l==s.key&&u==s.type)return c}return-1}function rt(e,t,n){t[0]=="-"?e.setProperty(t,n??""):e[t]=n==null?"":typeof n!="number"||tn.test(t)?n:n+"px"}function Se(e,t,n,r,i){var o,c;e:if(t=="style")if(typeof n=="string")e.style.cssText=n;else{if(typeof r=="string"&&(e.style.cssText=r=""),r)for(t in r)n&&t in n||rt(e.style,t,"");if(n)for(t in n)r&&n[t]==r[t]||rt(e.style,t,n[t])}else if(t[0]=="o"&&t[1]=="n")o=t!=(t=t.replace(ct,"$1")),c=t.toLowerCase(),t=c in e||t=="onFocusOut"||t=="onFocusIn"?c.slice(2):t.slice(2),e.l||(e.l={}),e.l[t+o]=n,n?r?n.u=r.u:(n.u=qe,e.addEventListener(t,o?Me:Ue,o)):e.removeEventListener(t,o?Me:Ue,o);else{if(i=="http://www.w3.org/2000/svg")t=t.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(t!="width"&&t!="height"&&t!="href"&&t!="list"&&t!="form"&&t!="tabIndex"&&t!="download"&&t!="rowSpan"&&t!="colSpan"&&t!="role"&&t!="popover"&&t in e)try{e[t]=n??"";break e}catch{}typeof n=="function"||(n==null||n===!1&&t[4]!="-"?e.removeAttribute(t):e.setAttribute(t,t=="popover"&&n==1?"":n))}}function ot(e){return function(t){if(this.l){var n=this.l[t.type+e];if(t.t==null)t.t=qe++;else if(t.t<n.u)return;return n(A.event?A.event(t):t)}}}function Ye(e,t,n,r,i,o,c,l,u,s){var f,a,p,y,_,h,$,m,b,v,L,C,O,X,j,S,Z,K=t.type;if(t.constructor!=null)return null;128&n.__u&&(u=!!(32&n.__u),o=[l=t.__e=n.__e]),(f=A.__b)&&f(t);e:if(typeof K=="function")try{if(m=t.props,b="prototype"in K&&K.prototype.render,v=(f=K.contextType)&&r[f.__c],L=f?v?v.props.value:f.__:r,n.__c?$=(a=t.__c=n.__c).__=a.__E:(b?t.__c=a=new K(m,L):(t.__c=a=new Ce(m,L),a.constructor=K,a.render=sn),v&&v.sub(a),a.props=m,a.state||(a.state={}),a.context=L,a.__n=r,p=a.__d=!0,a.__h=[],a._sb=[]),b&&a.__s==null&&(a.__s=a.state),b&&K.getDerivedStateFromProps!=null&&(a.__s==a.state&&(a.__s=te({},a.__s)),te(a.__s,K.getDerivedStateFromProps(m,a.__s))),y=a.props,_=a.state,a.__v=t,p)b&&K.getDerivedStateFromProps==null&&a.componentWillMount!=null&&a.componentWillMount(),b&&a.componentDidMount!=null&&a.__h.push(a.componentDidMount);else{if(b&&K.getDerivedStateFromProps==null&&m!==y&&a.componentWillReceiveProps!=null&&a.componentWillReceiveProps(m,L),!a.__e&&a.shouldComponentUpdate!=null&&a.shouldComponentUpdate(m,a.__s,L)===!1||t.__v==n.__v){for(t.__v!=n.__v&&(a.props=m,a.state=a.__s,a.__d=!1),t.__e=n.__e,t.__k=n.__k,t.__k.some(function(q){q&&(q.__=t)}),C=0;C<a._sb.length;C++)a.__h.push(a._sb[C]);a._sb=[],a.__h.length&&c.push(a);break e}a.componentWillUpdate!=null&&a.componentWillUpdate(m,a.__s,L),b&&a.componentDidUpdate!=null&&a.__h.push(function(){a.componentDidUpdate(y,_,h)})}if(a.context=L,a.props=m,a.__P=e,a.__e=!1,O=A.__r,X=0,b){for(a.state=a.__s,a.__d=!1,O&&O(t),f=a.render(a.props,a.state,a.context),j=0;j<a._sb.length;j++)a.__h.push(a._sb[j]);a._sb=[]}else do a.__d=!1,O&&O(t),f=a.render(a.props,a.state,a.context),a.state=a.__s;while(a.__d&&++X<25);a.state=a.__s,a.getChildContext!=null&&(r=te(te({},r),a.getChildContext())),b&&!p&&a.getSnapshotBeforeUpdate!=null&&(h=a.getSnapshotBeforeUpdate(y,_)),S=f,f!=null&&f.type===xe&&f.key==null&&(S=yt(f.props.children)),l=dt(e,Ae(S)?S:[S],t,n,r,i,o,c,l,u,s),a.base=t.__e,t.__u&=-161,a.__h.length&&c.push(a),$&&(a.__E=a.__=null)}catch(q){if(t.__v=null,u||o!=null)if(q.then){for(t.__u|=u?160:128;l&&l.nodeType==8&&l.nextSibling;)l=l.nextSibling;o[o.indexOf(l)]=null,t.__e=l}else{for(Z=o.length;Z--;)We(o[Z]);Ke(t)}else t.__e=n.__e,t.__k=n.__k,q.then||Ke(t);A.__e(q,t,n)}else o==null&&t.__v==n.__v?(t.__k=n.__k,t.__e=n.__e):l=t.__e=on(n.__e,t,n,r,i,o,c,u,s);return(f=A.diffed)&&f(t),128&t.__u?void 0:l}function Ke(e){e&&e.__c&&(e.__c.__e=!0),e&&e.__k&&e.__k.forEach(Ke)}function ft(e,t,n){for(var r=0;r<n.length;r++)Be(n[r],n[++r],n[++r]);A.__c&&A.__c(t,e),e.some(function(i){try{e=i.__h,i.__h=[],e.some(function(o){o.call(i)})}catch(o){A.__e(o,i.__v)}})}function yt(e){return typeof e!="object"||e==null||e.__b&&e.__b>0?e:Ae(e)?e.map(yt):te({},e)}function on(e,t,n,r,i,o,c,l,u){var s,f,a,p,y,_,h,$=n.props,m=t.props,b=t.type;if(b=="svg"?i="http://www.w3.org/2000/svg":b=="math"?i="http://www.w3.org/1998/Math/MathML":i||(i="http://www.w3.org/1999/xhtml"),o!=null){for(s=0;s<o.length;s++)if((y=o[s])&&"setAttribute"in y==!!b&&(b?y.localName==b:y.nodeType==3)){e=y,o[s]=null;break}}if(e==null){if(b==null)return document.createTextNode(m);e=document.createElementNS(i,b,m.is&&m),l&&(A.__m&&A.__m(t,o),l=!1),o=null}if(b==null)$===m||l&&e.data==m||(e.data=m);else{if(o=o&&Te.call(e.childNodes),$=n.props||me,!l&&o!=null)for($={},s=0;s<e.attributes.length;s++)$[(y=e.attributes[s]).name]=y.value;for(s in $)if(y=$[s],s!="children"){if(s=="dangerouslySetInnerHTML")a=y;else if(!(s in m)){if(s=="value"&&"defaultValue"in m||s=="checked"&&"defaultChecked"in m)continue;Se(e,s,null,y,i)}}for(s in m)y=m[s],s=="children"?p=y:s=="dangerouslySetInnerHTML"?f=y:s=="value"?_=y:s=="checked"?h=y:l&&typeof y!="function"||$[s]===y||Se(e,s,y,$[s],i);if(f)l||a&&(f.__html==a.__html||f.__html==e.innerHTML)||(e.innerHTML=f.__html),t.__k=[];else if(a&&(e.innerHTML=""),dt(t.type=="template"?e.content:e,Ae(p)?p:[p],t,n,r,b=="foreignObject"?"http://www.w3.org/1999/xhtml":i,o,c,o?o[0]:n.__k&&de(n,0),l,u),o!=null)for(s=o.length;s--;)We(o[s]);l||(s="value",b=="progress"&&_==null?e.removeAttribute("value"):_!=null&&(_!==e[s]||b=="progress"&&!_||b=="option"&&_!=$[s])&&Se(e,s,_,$[s],i),s="checked",h!=null&&h!=e[s]&&Se(e,s,h,$[s],i))}return e}function Be(e,t,n){try{if(typeof e=="function"){var r=typeof e.__u=="function";r&&e.__u(),r&&t==null||(e.__u=e(t))}else e.current=t}catch(i){A.__e(i,n)}}function _t(e,t,n){var r,i;if(A.unmount&&A.unmount(e),(r=e.ref)&&(r.current&&r.current!=e.__e||Be(r,null,t)),(r=e.__c)!=null){if(r.componentWillUnmount)try{r.componentWillUnmount()}catch(o){A.__e(o,t)}r.base=r.__P=null}if(r=e.__k)for(i=0;i<r.length;i++)r[i]&&_t(r[i],t,n||typeof e.type!="function");n||We(e.__e),e.__c=e.__=e.__e=void 0}function sn(e,t,n){return this.constructor(e,n)}function mt(e,t,n){var r,i,o,c;t==document&&(t=document.documentElement),A.__&&A.__(e,t),i=(r=typeof n=="function")?null:n&&n.__k||t.__k,o=[],c=[],Ye(t,e=(!r&&n||t).__k=He(xe,null,[e]),i||me,me,t.namespaceURI,!r&&n?[n]:i?null:t.firstChild?Te.call(t.childNodes):null,o,!r&&n?n:i?i.__e:t.firstChild,r,c),ft(o,e,c)}Te=ut.slice,A={__e:function(e,t,n,r){for(var i,o,c;t=t.__;)if((i=t.__c)&&!i.__)try{if((o=i.constructor)&&o.getDerivedStateFromError!=null&&(i.setState(o.getDerivedStateFromError(e)),c=i.__d),i.componentDidCatch!=null&&(i.componentDidCatch(e,r||{}),c=i.__d),c)return i.__E=i}catch(l){e=l}throw e}},st=0,Zt=function(e){return e!=null&&e.constructor==null},Ce.prototype.setState=function(e,t){var n;n=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=te({},this.state),typeof e=="function"&&(e=e(te({},n),this.props)),e&&te(n,e),e!=null&&this.__v&&(t&&this._sb.push(t),nt(this))},Ce.prototype.forceUpdate=function(e){this.__v&&(this.__e=!0,e&&this.__h.push(e),nt(this))},Ce.prototype.render=xe,oe=[],it=typeof Promise=="function"?Promise.prototype.then.bind(Promise.resolve()):setTimeout,at=function(e,t){return e.__v.__b-t.__v.__b},ke.__r=0,ct=/(PointerCapture)$|Capture$/i,qe=0,Ue=ot(!1),Me=ot(!0),en=0;var he,D,Ge,ht,Re=0,Ct=[],N=A,gt=N.__b,$t=N.__r,bt=N.diffed,wt=N.__c,vt=N.unmount,St=N.__;function je(e,t){N.__h&&N.__h(D,e,Re||t),Re=0;var n=D.__H||(D.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function g(e){return Re=1,an(At,e)}function an(e,t,n){var r=je(he++,2);if(r.t=e,!r.__c&&(r.__=[n?n(t):At(void 0,t),function(l){var u=r.__N?r.__N[0]:r.__[0],s=r.t(u,l);u!==s&&(r.__N=[s,r.__[1]],r.__c.setState({}))}],r.__c=D,!D.__f)){var i=function(l,u,s){if(!r.__c.__H)return!0;var f=r.__c.__H.__.filter(function(p){return!!p.__c});if(f.every(function(p){return!p.__N}))return!o||o.call(this,l,u,s);var a=r.__c.props!==l;return f.forEach(function(p){if(p.__N){var y=p.__[0];p.__=p.__N,p.__N=void 0,y!==p.__[0]&&(a=!0)}}),o&&o.call(this,l,u,s)||a};D.__f=!0;var o=D.shouldComponentUpdate,c=D.componentWillUpdate;D.componentWillUpdate=function(l,u,s){if(this.__e){var f=o;o=void 0,i(l,u,s),o=f}c&&c.call(this,l,u,s)},D.shouldComponentUpdate=i}return r.__N||r.__}function M(e,t){var n=je(he++,3);!N.__s&&Tt(n.__H,t)&&(n.__=e,n.u=t,D.__H.__h.push(n))}function kt(e){return Re=5,cn(function(){return{current:e}},[])}function cn(e,t){var n=je(he++,7);return Tt(n.__H,t)&&(n.__=e(),n.__H=t,n.__h=e),n.__}function un(){for(var e;e=Ct.shift();)if(e.__P&&e.__H)try{e.__H.__h.forEach(Ie),e.__H.__h.forEach(Ve),e.__H.__h=[]}catch(t){e.__H.__h=[],N.__e(t,e.__v)}}N.__b=function(e){D=null,gt&&gt(e)},N.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),St&&St(e,t)},N.__r=function(e){$t&&$t(e),he=0;var t=(D=e.__c).__H;t&&(Ge===D?(t.__h=[],D.__h=[],t.__.forEach(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})):(t.__h.forEach(Ie),t.__h.forEach(Ve),t.__h=[],he=0)),Ge=D},N.diffed=function(e){bt&&bt(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&(Ct.push(t)!==1&&ht===N.requestAnimationFrame||((ht=N.requestAnimationFrame)||ln)(un)),t.__H.__.forEach(function(n){n.u&&(n.__H=n.u),n.u=void 0})),Ge=D=null},N.__c=function(e,t){t.some(function(n){try{n.__h.forEach(Ie),n.__h=n.__h.filter(function(r){return!r.__||Ve(r)})}catch(r){t.some(function(i){i.__h&&(i.__h=[])}),t=[],N.__e(r,n.__v)}}),wt&&wt(e,t)},N.unmount=function(e){vt&&vt(e);var t,n=e.__c;n&&n.__H&&(n.__H.__.forEach(function(r){try{Ie(r)}catch(i){t=i}}),n.__H=void 0,t&&N.__e(t,n.__v))};var Et=typeof requestAnimationFrame=="function";function ln(e){var t,n=function(){clearTimeout(r),Et&&cancelAnimationFrame(t),setTimeout(e)},r=setTimeout(n,35);Et&&(t=requestAnimationFrame(n))}function Ie(e){var t=D,n=e.__c;typeof n=="function"&&(e.__c=void 0,n()),D=t}function Ve(e){var t=D;e.__c=e.__(),D=t}function Tt(e,t){return!e||e.length!==t.length||t.some(function(n,r){return n!==e[r]})}function At(e,t){return typeof t=="function"?t(e):t}function V(e){return e===null?"null":Array.isArray(e)?"array":typeof e}function re(e){return V(e)==="object"}function dn(e){return Array.isArray(e)&&e.length>0&&e.every(t=>"message"in t)}function Je(e,t){return e.length<124?e:t}var xt="graphql-transport-ws";var J=(e=>(e[e.InternalServerError=4500]="InternalServerError",e[e.InternalClientError=4005]="InternalClientError",e[e.BadRequest=4400]="BadRequest",e[e.BadResponse=4004]="BadResponse",e[e.Unauthorized=4401]="Unauthorized",e[e.Forbidden=4403]="Forbidden",e[e.SubprotocolNotAcceptable=4406]="SubprotocolNotAcceptable",e[e.ConnectionInitialisationTimeout=4408]="ConnectionInitialisationTimeout",e[e.ConnectionAcknowledgementTimeout=4504]="ConnectionAcknowledgementTimeout",e[e.SubscriberAlreadyExists=4409]="SubscriberAlreadyExists",e[e.TooManyInitialisationRequests=4429]="TooManyInitialisationRequests",e))(J||{}),z=(e=>(e.ConnectionInit="connection_init",e.ConnectionAck="connection_ack",e.Ping="ping",e.Pong="pong",e.Subscribe="subscribe",e.Next="next",e.Error="error",e.Complete="complete",e))(z||{});function It(e){if(!re(e))throw new Error(`Message is expected to be an object, but got ${V(e)}`);if(!e.type)throw new Error("Message is missing the 'type' property");if(typeof e.type!="string")throw new Error(`Message is expects the 'type' property to be a string, but got ${V(e.type)}`);switch(e.type){case"connection_init":case"connection_ack":case"ping":case"pong":{if(e.payload!=null&&!re(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object or nullish or missing, but got "${e.payload}"`);break}case"subscribe":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${V(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!re(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${V(e.payload)}`);if(typeof e.payload.query!="string")throw new Error(`"${e.type}" message payload expects the 'query' property to be a string, but got ${V(e.payload.query)}`);if(e.payload.variables!=null&&!re(e.payload.variables))throw new Error(`"${e.type}" message payload expects the 'variables' property to be a an object or nullish or missing, but got ${V(e.payload.variables)}`);if(e.payload.operationName!=null&&V(e.payload.operationName)!=="string")throw new Error(`"${e.type}" message payload expects the 'operationName' property to be a string or nullish or missing, but got ${V(e.payload.operationName)}`);if(e.payload.extensions!=null&&!re(e.payload.extensions))throw new Error(`"${e.type}" message payload expects the 'extensions' property to be a an object or nullish or missing, but got ${V(e.payload.extensions)}`);break}case"next":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${V(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!re(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${V(e.payload)}`);break}case"error":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${V(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!dn(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an array of GraphQL errors, but got ${JSON.stringify(e.payload)}`);break}case"complete":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${V(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);break}default:throw new Error(`Invalid message 'type' property "${e.type}"`)}return e}function Rt(e,t){return It(typeof e=="string"?JSON.parse(e,t):e)}function pe(e,t){return It(e),JSON.stringify(e,t)}function Qe(e){let{url:t,connectionParams:n,lazy:r=!0,onNonLazyError:i=console.error,lazyCloseTimeout:o=0,keepAlive:c=0,disablePong:l,connectionAckWaitTimeout:u=0,retryAttempts:s=5,retryWait:f=async function(R){let w=Math.pow(2,R);await new Promise(k=>setTimeout(k,w*1e3+Math.floor(Math.random()*2700+300)))},shouldRetry:a=ze,on:p,webSocketImpl:y,generateID:_=function(){return"xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g,R=>{let w=Math.random()*16|0;return(R=="x"?w:w&3|8).toString(16)})},jsonMessageReplacer:h,jsonMessageReviver:$}=e,m;if(y){if(!fn(y))throw new Error("Invalid WebSocket implementation provided");m=y}else typeof WebSocket<"u"?m=WebSocket:typeof global<"u"?m=global.WebSocket||global.MozWebSocket:typeof window<"u"&&(m=window.WebSocket||window.MozWebSocket);if(!m)throw new Error("WebSocket implementation missing; on Node you can `import WebSocket from 'ws';` and pass `webSocketImpl: WebSocket` to `createClient`");let b=m,v=(()=>{let E=(()=>{let w={};return{on(k,P){return w[k]=P,()=>{delete w[k]}},emit(k){"id"in k&&w[k.id]?.(k)}}})(),R={connecting:p?.connecting?[p.connecting]:[],opened:p?.opened?[p.opened]:[],connected:p?.connected?[p.connected]:[],ping:p?.ping?[p.ping]:[],pong:p?.pong?[p.pong]:[],message:p?.message?[E.emit,p.message]:[E.emit],closed:p?.closed?[p.closed]:[],error:p?.error?[p.error]:[]};return{onMessage:E.on,on(w,k){let P=R[w];return P.push(k),()=>{P.splice(P.indexOf(k),1)}},emit(w,...k){for(let P of[...R[w]])P(...k)}}})();function L(E){let R=[v.on("error",w=>{R.forEach(k=>k()),E(w)}),v.on("closed",w=>{R.forEach(k=>k()),E(w)})]}let C,O=0,X,j=!1,S=0,Z=!1;async function K(){clearTimeout(X);let[E,R]=await(C??(C=new Promise((P,G)=>(async()=>{if(j){if(await f(S),!O)return C=void 0,G({code:1e3,reason:"All Subscriptions Gone"});S++}v.emit("connecting",j);let T=new b(typeof t=="function"?await t():t,xt),ce,_e;function ve(){isFinite(c)&&c>0&&(clearTimeout(_e),_e=setTimeout(()=>{T.readyState===b.OPEN&&(T.send(pe({type:z.Ping})),v.emit("ping",!1,void 0))},c))}L(H=>{C=void 0,clearTimeout(ce),clearTimeout(_e),G(H),H instanceof ge&&(T.close(4499,"Terminated"),T.onerror=null,T.onclose=null)}),T.onerror=H=>v.emit("error",H),T.onclose=H=>v.emit("closed",H),T.onopen=async()=>{try{v.emit("opened",T);let H=typeof n=="function"?await n():n;if(T.readyState!==b.OPEN)return;T.send(pe(H?{type:z.ConnectionInit,payload:H}:{type:z.ConnectionInit},h)),isFinite(u)&&u>0&&(ce=setTimeout(()=>{T.close(J.ConnectionAcknowledgementTimeout,"Connection acknowledgement timeout")},u)),ve()}catch(H){v.emit("error",H),T.close(J.InternalClientError,Je(H instanceof Error?H.message:String(H),"Internal client error"))}};let ue=!1;T.onmessage=({data:H})=>{try{let W=Rt(H,$);if(v.emit("message",W),W.type==="ping"||W.type==="pong"){v.emit(W.type,!0,W.payload),W.type==="pong"?ve():l||(T.send(pe(W.payload?{type:z.Pong,payload:W.payload}:{type:z.Pong})),v.emit("pong",!1,W.payload));return}if(ue)return;if(W.type!==z.ConnectionAck)throw new Error(`First message cannot be of type ${W.type}`);clearTimeout(ce),ue=!0,v.emit("connected",T,W.payload,j),j=!1,S=0,P([T,new Promise((Dn,zt)=>L(zt))])}catch(W){T.onmessage=null,v.emit("error",W),T.close(J.BadResponse,Je(W instanceof Error?W.message:String(W),"Bad response"))}}})())));E.readyState===b.CLOSING&&await R;let w=()=>{},k=new Promise(P=>w=P);return[E,w,Promise.race([k.then(()=>{if(!O){let P=()=>E.close(1e3,"Normal Closure");isFinite(o)&&o>0?X=setTimeout(()=>{E.readyState===b.OPEN&&P()},o):P()}}),R])]}function q(E){if(ze(E)&&(pn(E.code)||[J.InternalServerError,J.InternalClientError,J.BadRequest,J.BadResponse,J.Unauthorized,J.SubprotocolNotAcceptable,J.SubscriberAlreadyExists,J.TooManyInitialisationRequests].includes(E.code)))throw E;if(Z)return!1;if(ze(E)&&E.code===1e3)return O>0;if(!s||S>=s||!a(E))throw E;return j=!0}r||(async()=>{for(O++;;)try{let[,,E]=await K();await E}catch(E){try{if(!q(E))return}catch(R){return i?.(R)}}})();function et(E,R){let w=_(E),k=!1,P=!1,G=()=>{O--,k=!0};return(async()=>{for(O++;;)try{let[T,ce,_e]=await K();if(k)return ce();let ve=v.onMessage(w,ue=>{switch(ue.type){case z.Next:{R.next(ue.payload);return}case z.Error:{P=!0,k=!0,R.error(ue.payload),G();return}case z.Complete:{k=!0,G();return}}});T.send(pe({id:w,type:z.Subscribe,payload:E},h)),G=()=>{!k&&T.readyState===b.OPEN&&T.send(pe({id:w,type:z.Complete},h)),O--,k=!0,ce()},await _e.finally(ve);return}catch(T){if(!q(T))return}})().then(()=>{P||R.complete()}).catch(T=>{R.error(T)}),()=>{k||G()}}return{on:v.on,subscribe:et,iterate(E){let R=[],w={done:!1,error:null,resolve:()=>{}},k=et(E,{next(G){R.push(G),w.resolve()},error(G){w.done=!0,w.error=G,w.resolve()},complete(){w.done=!0,w.resolve()}}),P=(async function*(){for(;;){for(R.length||await new Promise(T=>w.resolve=T);R.length;)yield R.shift();if(w.error)throw w.error;if(w.done)return}})();return P.throw=async G=>(w.done||(w.done=!0,w.error=G,w.resolve()),{done:!0,value:void 0}),P.return=async()=>(k(),{done:!0,value:void 0}),P},async dispose(){if(Z=!0,C){let[E]=await C;E.close(1e3,"Normal Closure")}},terminate(){C&&v.emit("closed",new ge)}}}var ge=class extends Error{constructor(){super(...arguments);le(this,"name","TerminatedCloseEvent");le(this,"message","4499: Terminated");le(this,"code",4499);le(this,"reason","Terminated");le(this,"wasClean",!1)}};function ze(e){return re(e)&&"code"in e&&"reason"in e}function pn(e){return[1e3,1001,1006,1005,1012,1013,1014].includes(e)?!1:e>=1e3&&e<=1999}function fn(e){return typeof e=="function"&&"constructor"in e&&"CLOSED"in e&&"CLOSING"in e&&"CONNECTING"in e&&"OPEN"in e}var $e=class extends Error{constructor(t,n){super(t),this.code=n}},F="error { code message field retryAfterSeconds attemptsLeft }",Oe="id name method email createdAt lastUsedAt securityKey { synced backedUp aaguid suspendedAt }",se="id method status name email expiresAt attemptsLeft resendAvailableAt",Ot=`enabled mandatory setupRequired availableMethods recoveryCodesRemaining
  authenticators { ${Oe} }`,Pt={session:`query Session {
    session { nextStep expiresAt user { id email name isAdmin } authenticators { id name method } }
  }`,login:`mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      session { nextStep user { id email name isAdmin } }
      authenticators { id name method }
      ${F}
    }
  }`,logout:"mutation Logout { logout { ok } }",sendLoginCode:`mutation SendLoginCode($id: ID!) {
    sendLoginCode(authenticatorId: $id) { expiresAt resendAvailableAt ${F} }
  }`,verifyLogin:`mutation VerifyLogin($id: ID!, $code: String!) {
    verifyLogin(authenticatorId: $id, code: $code) { session { nextStep user { id email name isAdmin } } ${F} }
  }`,securityKeyOptions:`mutation SecurityKeyOptions {
    securityKeyOptions { requestOptions expiresAt ${F} }
  }`,verifyLoginWithSecurityKey:`mutation VerifyLoginWithSecurityKey($credential: JSON!) {
    verifyLoginWithSecurityKey(credential: $credential) { session { nextStep user { id email name isAdmin } } ${F} }
  }`,verifyRecoveryCode:`mutation VerifyRecoveryCode($code: String!) {
    verifyLoginWithRecoveryCode(code: $code) { session { nextStep user { id email name isAdmin } } ${F} }
  }`,myTwoFactor:`query MyTwoFactor { myTwoFactor { ${Ot} } }`,setUpEmail:`mutation SetUpEmail($name: String!, $code: String) {
    myTwoFactor { setUpEmail(name: $name, code: $code) { setup { ${se} } ${F} } }
  }`,setUpApp:`mutation SetUpApp($code: String) {
    myTwoFactor { setUpApp(code: $code) {
      setup { ${se} app { setupKey otpauthUri qrCodePng digits period } } ${F}
    } }
  }`,setUpSecurityKey:`mutation SetUpSecurityKey($name: String!, $code: String) {
    myTwoFactor { setUpSecurityKey(name: $name, code: $code) {
      setup { ${se} securityKey { creationOptions } } ${F}
    } }
  }`,submitSecurityKey:`mutation SubmitSecurityKey($setupId: ID!, $credential: JSON!, $name: String) {
    myTwoFactor { submitSecurityKey(setupId: $setupId, credential: $credential, name: $name) {
      authenticator { ${Oe} } message recoveryCodes setup { ${se} } ${F}
    } }
  }`,resendCode:`mutation ResendCode($setupId: ID!) {
    myTwoFactor { resendCode(setupId: $setupId) { setup { ${se} } ${F} } }
  }`,submitCode:`mutation SubmitCode($setupId: ID!, $code: String!, $name: String) {
    myTwoFactor { submitCode(setupId: $setupId, code: $code, name: $name) {
      authenticator { ${Oe} } message recoveryCodes setup { ${se} } ${F}
    } }
  }`,cancelSetup:`mutation CancelSetup($setupId: ID!) {
    myTwoFactor { cancelSetup(setupId: $setupId) { setup { id status } ${F} } }
  }`,edit:`mutation Edit($id: ID!, $name: String!) {
    myTwoFactor { edit(id: $id, name: $name) { authenticator { ${Oe} } ${F} } }
  }`,remove:`mutation Remove($id: ID!, $code: String) {
    myTwoFactor { remove(id: $id, code: $code) { removedId ${F} } }
  }`,regenerate:`mutation RegenerateRecoveryCodes($code: String) {
    myTwoFactor { regenerateRecoveryCodes(code: $code) { recoveryCodes ${F} } }
  }`,mySessions:"query MySessions { mySessions { id device ip createdAt lastSeenAt current nextStep } }",endSession:`mutation EndSession($id: ID!) { endSession(id: $id) { endedIds ${F} } }`,endOtherSessions:`mutation EndOtherSessions { endOtherSessions { endedIds ${F} } }`,verification:`subscription Verification($setupId: ID!) {
    myTwoFactorVerification(setupId: $setupId) { ${se} }
  }`,changed:`subscription Changed { myTwoFactorChanged { ${Ot} } }`,policy:"query Policy { twoFactorPolicy { mandatory enabledMethods recoveryCodesEnabled } }",setPolicy:`mutation SetPolicy($input: TwoFactorPolicyInput!) {
    admin { setTwoFactorPolicy(input: $input) { policy { mandatory enabledMethods recoveryCodesEnabled } ${F} } }
  }`,userByEmail:"query UserByEmail($email: String!) { admin { user(email: $email) { id email name isAdmin } } }",resetUser:`mutation ResetUser($userId: ID!, $code: String) {
    admin { resetUserTwoFactor(userId: $userId, code: $code) { user { id email } ${F} } }
  }`,auditEvents:`query AuditEvents($after: String) {
    admin { auditEvents(first: 20, after: $after) {
      events { id action createdAt actorId targetId ip details } nextCursor
    } }
  }`};async function U(e,t={}){let n;try{n=await fetch("/graphql",{method:"POST",credentials:"same-origin",headers:{"Content-Type":"application/json",Accept:"application/json"},body:JSON.stringify({query:Pt[e],variables:t})})}catch{throw new $e("The server cannot be reached. Check your connection and try again.","NETWORK")}let r;try{r=await n.json()}catch{throw new $e(`The server answered ${n.status}. Try again shortly.`,"SERVER")}if(r.errors&&r.errors.length){let i=r.errors[0],o=i.extensions&&i.extensions.code||"SERVER";throw new $e(i.message,o)}return r.data}var fe=null;function yn(){if(fe===null){let e=window.location.protocol==="https:"?"wss://":"ws://";fe=Qe({url:e+window.location.host+"/graphql",lazy:!0,retryAttempts:5,shouldRetry:t=>!(t&&typeof t.code=="number"&&t.code>=4400&&t.code<4500)})}return fe}function Xe(e,t,n,r){return yn().subscribe({query:Pt[e],variables:t},{next:i=>{i.data&&n(i.data)},error:()=>r&&r(),complete:()=>r&&r()})}function Ze(){fe!==null&&(fe.dispose(),fe=null)}var Lt=function(e,t,n,r){var i;t[0]=0;for(var o=1;o<t.length;o++){var c=t[o++],l=t[o]?(t[0]|=c?1:2,n[t[o++]]):t[++o];c===3?r[0]=l:c===4?r[1]=Object.assign(r[1]||{},l):c===5?(r[1]=r[1]||{})[t[++o]]=l:c===6?r[1][t[++o]]+=l+"":c?(i=e.apply(l,Lt(e,l,n,["",null])),r.push(i),l[0]?t[0]|=2:(t[o-2]=0,t[o]=i)):r.push(l)}return r},Dt=new Map;function Nt(e){var t=Dt.get(this);return t||(t=new Map,Dt.set(this,t)),(t=Lt(this,t.get(e)||(t.set(e,t=(function(n){for(var r,i,o=1,c="",l="",u=[0],s=function(p){o===1&&(p||(c=c.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?u.push(0,p,c):o===3&&(p||c)?(u.push(3,p,c),o=2):o===2&&c==="..."&&p?u.push(4,p,0):o===2&&c&&!p?u.push(5,0,!0,c):o>=5&&((c||!p&&o===5)&&(u.push(o,0,c,i),o=6),p&&(u.push(o,p,0,i),o=6)),c=""},f=0;f<n.length;f++){f&&(o===1&&s(),s(f));for(var a=0;a<n[f].length;a++)r=n[f][a],o===1?r==="<"?(s(),u=[u],o=3):c+=r:o===4?c==="--"&&r===">"?(o=1,c=""):c=r+c[0]:l?r===l?l="":c+=r:r==='"'||r==="'"?l=r:r===">"?(s(),o=1):o&&(r==="="?(o=5,i=c,c=""):r==="/"&&(o<5||n[f][a+1]===">")?(s(),o===3&&(u=u[0]),o=u,(u=u[0]).push(2,0,o),o=0):r===" "||r==="	"||r===`
`||r==="\r"?(s(),o=2):c+=r),o===3&&c==="!--"&&(o=4,u=u[0])}return s(),u})(e)),t),arguments,[])).length>1?t:t[0]}var d=Nt.bind(He),Pe={EMAIL:"Email",APP:"Authenticator app",SECURITY_KEY:"Security key or passkey"};function De(e){return Pe[e]||e.charAt(0)+e.slice(1).toLowerCase().replace(/_/g," ")}function ne(e){return e?new Date(e).toLocaleString(void 0,{dateStyle:"medium",timeStyle:"short"}):"Never"}function be(e){let t=()=>e?Math.max(0,Math.ceil((e.getTime()-Date.now())/1e3)):0,[n,r]=g(t());return M(()=>{if(r(t()),!e)return;let i=setInterval(()=>{let o=t();r(o),o===0&&clearInterval(i)},1e3);return()=>clearInterval(i)},[e&&e.getTime()]),n}function _n(e){return e?new Date(Date.now()+e*1e3):null}function I(e){return e?{code:e.code,message:e.message,retryAt:_n(e.retryAfterSeconds),attemptsLeft:e.attemptsLeft}:null}function x({error:e}){let t=be(e?e.retryAt:null);return e?d`<p class="error" role="alert">
    ${e.message}
    ${t>0?d` <span class="wait">Try again in ${t} s.</span>`:null}
    ${e.attemptsLeft!=null&&e.attemptsLeft>0?d` <span class="attempts">${e.attemptsLeft} ${e.attemptsLeft===1?"try":"tries"} left.</span>`:null}
  </p>`:null}function Y({id:e,label:t,hint:n,...r}){return d`<div class="field">
    <label for=${e}>${t}</label>
    <input id=${e} name=${e} ...${r} aria-describedby=${n?`${e}-hint`:void 0} />
    ${n?d`<p class="hint" id=${`${e}-hint`}>${n}</p>`:null}
  </div>`}var we={inputmode:"numeric",autocomplete:"one-time-code",pattern:"[0-9 ]*",maxlength:8,required:!0};var ee=class extends Error{constructor(t,n){super(t),this.code=n}},Ft="This browser cannot use security keys or passkeys. Use a current Chrome, Edge, Firefox or Safari, or another method.";function Ne(){return!!(window.isSecureContext&&window.PublicKeyCredential&&navigator.credentials&&navigator.credentials.create)}function Le(e){let t=e.replace(/-/g,"+").replace(/_/g,"/")+"===".slice((e.length+3)%4);return Uint8Array.from(atob(t),n=>n.charCodeAt(0)).buffer}function ye(e){let t="";for(let n of new Uint8Array(e))t+=String.fromCharCode(n);return btoa(t).replace(/\+/g,"-").replace(/\//g,"_").replace(/=+$/,"")}var Ut=e=>(e||[]).map(t=>({...t,id:Le(t.id)}));function Mt(e){return typeof e=="string"?JSON.parse(e):e}function mn(e){return typeof PublicKeyCredential.parseCreationOptionsFromJSON=="function"?PublicKeyCredential.parseCreationOptionsFromJSON(e):{...e,challenge:Le(e.challenge),user:{...e.user,id:Le(e.user.id)},excludeCredentials:Ut(e.excludeCredentials)}}function hn(e){return typeof PublicKeyCredential.parseRequestOptionsFromJSON=="function"?PublicKeyCredential.parseRequestOptionsFromJSON(e):{...e,challenge:Le(e.challenge),allowCredentials:Ut(e.allowCredentials)}}function Kt(e){if(typeof e.toJSON=="function")return e.toJSON();let t=e.response,n={clientDataJSON:ye(t.clientDataJSON)};return t.attestationObject?(n.attestationObject=ye(t.attestationObject),n.transports=typeof t.getTransports=="function"?t.getTransports():[]):(n.authenticatorData=ye(t.authenticatorData),n.signature=ye(t.signature),t.userHandle&&(n.userHandle=ye(t.userHandle))),{id:e.id,rawId:ye(e.rawId),type:e.type,authenticatorAttachment:e.authenticatorAttachment||void 0,clientExtensionResults:e.getClientExtensionResults(),response:n}}function qt(e,t){let n=e&&e.name;return n==="NotAllowedError"||n==="AbortError"?new ee(t?"The security key prompt was cancelled or timed out. Nothing was added. Try again when your key is ready.":"The security key prompt was cancelled or timed out, or this key is not one of yours. Try again, or use another way.","KEY_CANCELLED"):n==="InvalidStateError"?new ee("This security key is already registered to your account. Use another key.","KEY_REGISTERED"):n==="SecurityError"?new ee("Security keys do not work at this page's address. Ask your administrator to check the server's WebAuthn settings.","KEY_ORIGIN"):n==="NotSupportedError"?new ee("This device or browser cannot create the kind of key asked for. Try another key.","KEY_UNSUPPORTED"):new ee(`The security key did not answer: ${e&&e.message||e}.`,"KEY_FAILED")}async function Wt(e){if(!Ne())throw new ee(Ft,"KEY_UNSUPPORTED");let t;try{t=await navigator.credentials.create({publicKey:mn(Mt(e))})}catch(n){throw qt(n,!0)}if(!t)throw new ee("The browser gave no credential. Try again.","KEY_FAILED");return Kt(t)}async function gn(e){if(!Ne())throw new ee(Ft,"KEY_UNSUPPORTED");let t;try{t=await navigator.credentials.get({publicKey:hn(Mt(e))})}catch(n){throw qt(n,!1)}if(!t)throw new ee("The browser gave no credential. Try again.","KEY_FAILED");return Kt(t)}async function Fe(){try{let e=(await U("securityKeyOptions")).securityKeyOptions;if(e.error)return{error:I(e.error)};let t=await gn(e.requestOptions),n=(await U("verifyLoginWithSecurityKey",{credential:t})).verifyLoginWithSecurityKey;return n.error?{error:I(n.error)}:{payload:n}}catch(e){return{error:I(e)}}}async function B(e,t,n){try{let r=n(await U(e,t));return r.error?{error:I(r.error)}:{payload:r}}catch(r){return{error:I(r)}}}var Q=e=>t=>t.myTwoFactor[e];function Ht({user:e,step:t,onSessionChanged:n}){let[r,i]=g(null),[o,c]=g(null),[l,u]=g(null),[s,f]=g(null),[a,p]=g(null);async function y(){try{i((await U("myTwoFactor")).myTwoFactor),c(null)}catch(h){h.code==="FORBIDDEN"||h.code==="UNAUTHENTICATED"?n():c(I(h))}}if(M(()=>{y()},[]),M(()=>{if(t==="DONE")return Xe("changed",{},h=>i(h.myTwoFactorChanged),n)},[t]),o)return d`<section class="card"><${x} error=${o} /></section>`;if(r===null)return d`<p role="status">Loading…</p>`;function _(h){u(null),p(h.message),h.recoveryCodes&&f(h.recoveryCodes),y(),t!=="DONE"&&n()}return d`<section class="card" aria-labelledby="your-2fa-title">
    <h1 id="your-2fa-title">Your 2FA</h1>
    <p>
      ${r.enabled?"Two-factor authentication is on.":"Two-factor authentication is off."}
      ${r.mandatory?" Your administrators require it.":""}
    </p>
    ${r.setupRequired?d`<p class="notice" role="status">Set up two-factor authentication to continue using your account.</p>`:null}
    ${a?d`<p class="success" role="status">${a}</p>`:null}
    ${s?d`<${kn} codes=${s} onDone=${()=>f(null)} />`:null}

    <h2>Authenticators</h2>
    ${r.authenticators.length?d`<ul class="authenticators" aria-label="Your authenticators">
          ${r.authenticators.map(h=>d`<${vn} key=${h.id} authenticator=${h} all=${r.authenticators}
              onChanged=${y} onNotice=${p} />`)}
        </ul>`:d`<p class="muted">No authenticators yet.</p>`}

    <h2>Add an authenticator</h2>
    ${l===null?d`<div class="row">
          ${r.availableMethods.includes("EMAIL")?d`<button type="button" onClick=${()=>{p(null),u("EMAIL")}}>Email Authentication</button>`:null}
          ${r.availableMethods.includes("APP")?d`<button type="button" onClick=${()=>{p(null),u("APP")}}>Authenticator App</button>`:null}
          ${r.availableMethods.includes("SECURITY_KEY")?d`<button type="button" onClick=${()=>{p(null),u("SECURITY_KEY")}}>Security Key or Passkey</button>`:null}
          ${r.availableMethods.length===0?d`<p class="muted">Your administrators have turned off every method.</p>`:null}
        </div>`:l==="EMAIL"?d`<${Sn} user=${e} authenticators=${r.authenticators} onCreated=${_} onCancel=${()=>u(null)} />`:l==="APP"?d`<${En} authenticators=${r.authenticators} onCreated=${_} onCancel=${()=>u(null)} />`:d`<${Cn} authenticators=${r.authenticators} onCreated=${_} onCancel=${()=>u(null)} />`}

    ${r.enabled?d`<h2>Recovery codes</h2>
        <p>${r.recoveryCodesRemaining} unused recovery ${r.recoveryCodesRemaining===1?"code":"codes"} left.</p>
        <${Tn} authenticators=${r.authenticators} onCodes=${h=>{f(h),y()}} />`:null}
    ${t==="DONE"?d`<${$n} />`:null}
  </section>`}function $n(){let[e,t]=g(null),[n,r]=g(null),[i,o]=g(null);async function c(){try{t((await U("mySessions")).mySessions)}catch(s){r(I(s))}}M(()=>{c()},[]);async function l(s,f,a){let p=await B(s,f,a);if(p.error)r(p.error);else{r(null);let y=p.payload.endedIds.length;o(y===1?"The device was signed out.":`${y} devices were signed out.`),c()}}if(e===null)return d`<${x} error=${n} />`;let u=e.filter(s=>!s.current);return d`<h2>Where you are signed in</h2>
    ${i?d`<p class="success" role="status">${i}</p>`:null}
    <ul class="authenticators sessions" aria-label="Your sessions">
      ${e.map(s=>d`<li class="authenticator" key=${s.id}>
        <div class="details">
          <strong>${s.device}${s.current?d` <span class="badge">This device</span>`:null}</strong>
          <span class="muted">${s.ip||"Unknown address"} · Signed in ${ne(s.createdAt)} · Last seen ${ne(s.lastSeenAt)}</span>
          ${s.nextStep!=="DONE"?d`<span class="muted">Still signing in</span>`:null}
        </div>
        ${s.current?null:d`<div class="row actions">
          <button type="button" onClick=${()=>l("endSession",{id:s.id},f=>f.endSession)}
            aria-label=${`Sign out ${s.device}, signed in ${ne(s.createdAt)}`}>Sign out</button>
        </div>`}
      </li>`)}
    </ul>
    <${x} error=${n} />
    ${u.length?d`<button type="button" onClick=${()=>l("endOtherSessions",{},s=>s.endOtherSessions)}>Sign out all other devices</button>`:null}`}var bn=e=>e.method==="SECURITY_KEY"&&!(e.securityKey&&e.securityKey.suspendedAt);function ie({authenticators:e,error:t,busy:n,onCode:r,onRetry:i,onCancel:o}){let c=e.find($=>$.method==="EMAIL"),l=i&&e.some(bn),[u,s]=g(null),[f,a]=g(null),[p,y]=g(!1);async function _(){let $=await B("sendLoginCode",{id:c.id},m=>m.sendLoginCode);s($.error?$.error:{message:"We emailed you a code."})}async function h(){y(!0),a(null);let $=await Fe();y(!1),$.error?a($.error):i()}return d`<form class="fresh" onSubmit=${$=>{$.preventDefault(),r(new FormData($.currentTarget).get("fresh-code"))}}>
    <p>For your security, confirm it is you: ${l?"use your security key, or ":""}enter a current code from one of your authenticators, or a recovery code.</p>
    ${l?d`<div class="row"><button type="button" class="primary" onClick=${h} disabled=${p||n}>Use security key</button></div>
      <${x} error=${f} />`:null}
    ${c?d`<p><button type="button" onClick=${_}>Email me a code</button>
      ${u?d` <span role="status">${u.message}</span>`:null}</p>`:null}
    <${Y} id="fresh-code" label="Current code" autocomplete="one-time-code" required maxlength="20" />
    <${x} error=${t} />
    <div class="row">
      <button type="submit" class="primary" disabled=${n}>Confirm</button>
      <button type="button" onClick=${o}>Cancel</button>
    </div>
  </form>`}function ae(e){let[t,n]=g({needCode:!1,error:null,busy:!1});async function r(i){n({...t,busy:!0,error:null});let o=await e(i||null);return o.error&&o.error.code==="FRESH_CODE_REQUIRED"?(n({needCode:!0,error:i?o.error:null,busy:!1}),null):(n({needCode:t.needCode&&!!o.error,error:o.error||null,busy:!1}),o.error?null:o.payload)}return[t,r,()=>n({needCode:!1,error:null,busy:!1})]}function wn(e){return e.synced?"Passkey, synced":"Security key, this device only"}function vn({authenticator:e,all:t,onChanged:n,onNotice:r}){let[i,o]=g(!1),[c,l]=g(null),[u,s]=g(!1),[f,a,p]=ae(b=>B("remove",{id:e.id,code:b},Q("remove"))),y=`name-${e.id}`;async function _(b){b.preventDefault();let v=new FormData(b.currentTarget).get(y),L=await B("edit",{id:e.id,name:v},Q("edit"));L.error?l(L.error):(o(!1),l(null),r("The authenticator was renamed."),n())}async function h(b){await a(b)&&(r(`"${e.name}" was removed.`),n())}let $=e.securityKey,m=!!($&&$.suspendedAt);return d`<li class=${m?"authenticator suspended":"authenticator"}>
    <div class="details">
      <strong>${e.name}${m?d` <span class="badge badge-danger">Suspended</span>`:null}</strong>
      <span class="muted">${$?wn($):De(e.method)}${e.email?` \xB7 ${e.email}`:""}</span>
      <span class="muted">Added ${ne(e.createdAt)} · Last used ${ne(e.lastUsedAt)}</span>
      ${m?d`<p class="error">Suspended ${ne($.suspendedAt)}: this key's signature counter went backwards, which a
            copied key would do, so it no longer signs you in. Remove it, and set up your key again (or another one).</p>`:null}
    </div>
    ${i?d`<form class="row" onSubmit=${_}>
          <${Y} id=${y} label="New name" value=${e.name} maxlength="64" required />
          <button type="submit" class="primary">Save</button>
          <button type="button" onClick=${()=>{o(!1),l(null)}}>Cancel</button>
          <${x} error=${c} />
        </form>`:u?f.needCode?d`<${ie} authenticators=${t} error=${f.error} busy=${f.busy}
              onCode=${h} onRetry=${()=>h(null)}
              onCancel=${()=>{s(!1),p()}} />`:d`<div class="row">
              <span>Remove "${e.name}"?</span>
              <button type="button" class="danger" onClick=${()=>h(null)} disabled=${f.busy}>Yes, remove</button>
              <button type="button" onClick=${()=>{s(!1),p()}}>Cancel</button>
              <${x} error=${f.error} />
            </div>`:d`<div class="row actions">
            <button type="button" onClick=${()=>o(!0)} aria-label=${`Edit ${e.name}`}>Edit</button>
            <button type="button" onClick=${()=>s(!0)} aria-label=${`Remove ${e.name}`}>Remove</button>
          </div>`}
  </li>`}var Yt={PENDING:"Sending the code\u2026",CODE_SENT:"We emailed you a code. It is valid for 10 minutes.",DELIVERY_FAILED:"We could not deliver the code. Send it again.",VERIFIED:"Verified.",EXPIRED:"The code expired. Start again.",LOCKED:"Too many wrong codes. Start again.",CANCELLED:"This set-up was cancelled."},Bt=new Set(["EXPIRED","LOCKED","CANCELLED"]);function Gt(e){let[t,n]=g(e);return M(()=>{if(e)return n(e),Xe("verification",{setupId:e.id},r=>n(r.myTwoFactorVerification))},[e&&e.id]),[t,n]}function Sn({user:e,authenticators:t,onCreated:n,onCancel:r}){let[i,o]=g(""),[c,l]=g(null),[u,s]=Gt(c),[f,a]=g(null),[p,y]=g(!1),[_,h]=ae(C=>B("setUpEmail",{name:i,code:C},Q("setUpEmail"))),$=be(u&&u.resendAvailableAt?new Date(u.resendAvailableAt):null);async function m(C){C.preventDefault();let O=await h(null);O&&l(O.setup)}async function b(){let C=await B("resendCode",{setupId:u.id},Q("resendCode"));C.error?a(C.error):(a(null),s(C.payload.setup))}async function v(C){C.preventDefault(),y(!0);let O=new FormData(C.currentTarget).get("email-code"),X=await B("submitCode",{setupId:u.id,code:O},Q("submitCode"));y(!1),X.error?a(X.error):n(X.payload)}if(!u)return d`<div class="setup" aria-labelledby="email-setup-title">
      <h3 id="email-setup-title">Email Authentication</h3>
      ${_.needCode?d`<${ie} authenticators=${t} error=${_.error} busy=${_.busy}
            onCode=${async C=>{let O=await h(C);O&&l(O.setup)}}
            onRetry=${async()=>{let C=await h(null);C&&l(C.setup)}} onCancel=${r} />`:d`<form onSubmit=${m}>
            <${Y} id="email-name" label="Name" value=${i} onInput=${C=>o(C.currentTarget.value)}
              maxlength="64" required hint="For example: Work email" />
            <${Y} id="email-address" label="Email" value=${e.email} readonly
              hint="Codes go to the address you sign in with." />
            <${x} error=${_.error} />
            <div class="row">
              <button type="submit" class="primary" disabled=${_.busy}>Send code</button>
              <button type="button" onClick=${r}>Cancel</button>
            </div>
          </form>`}
    </div>`;let L=Bt.has(u.status);return d`<div class="setup" aria-labelledby="email-setup-title">
    <h3 id="email-setup-title">Email Authentication</h3>
    <p role="status" aria-live="polite" class=${`status status-${u.status.toLowerCase()}`} data-status=${u.status}>
      ${Yt[u.status]||u.status}
    </p>
    ${L?d`<button type="button" onClick=${r}>Close</button>`:d`<form onSubmit=${v}>
          <${Y} id="email-code" label="Code from the email" ...${we} />
          <${x} error=${f} />
          <div class="row">
            <button type="submit" class="primary" disabled=${p}>Submit Code and Create</button>
            <button type="button" onClick=${b} disabled=${$>0}>
              ${$>0?`Resend code (${$} s)`:"Resend code"}
            </button>
            <button type="button" onClick=${async()=>{await B("cancelSetup",{setupId:u.id},Q("cancelSetup")),r()}}>Cancel</button>
          </div>
        </form>`}
  </div>`}function En({authenticators:e,onCreated:t,onCancel:n}){let[r,i]=g(null),[o]=Gt(r),[c,l]=g(null),[u,s]=g(!1),[f,a]=g(!1),[p,y]=ae(m=>B("setUpApp",{code:m},Q("setUpApp")));M(()=>{y(null).then(m=>m&&i(m.setup))},[]);async function _(){try{await navigator.clipboard.writeText(r.app.setupKey.replace(/\s+/g,"")),s(!0)}catch{s(!1)}}async function h(m){m.preventDefault();let b=new FormData(m.currentTarget);a(!0);let v=await B("submitCode",{setupId:r.id,code:b.get("app-code"),name:b.get("app-name")},Q("submitCode"));a(!1),v.error?l(v.error):t(v.payload)}if(p.needCode)return d`<div class="setup"><h3>Authenticator App</h3>
      <${ie} authenticators=${e} error=${p.error} busy=${p.busy}
        onCode=${async m=>{let b=await y(m);b&&i(b.setup)}}
        onRetry=${async()=>{let m=await y(null);m&&i(m.setup)}} onCancel=${n} /></div>`;if(!r)return d`<div class="setup"><h3>Authenticator App</h3>
      ${p.error?d`<${x} error=${p.error} /><button type="button" onClick=${n}>Close</button>`:d`<p role="status">Preparing…</p>`}</div>`;let $=o&&Bt.has(o.status);return d`<div class="setup" aria-labelledby="app-setup-title">
    <h3 id="app-setup-title">Authenticator App</h3>
    <ol class="steps">
      <li>Scan the QR code with your authenticator app.
        <img class="qr" src=${r.app.qrCodePng} width="200" height="200"
          alt="QR code to scan with your authenticator app" /></li>
      <li>Or type the setup key:
        <code class="setup-key" data-testid="setup-key">${r.app.setupKey}</code>
        <button type="button" onClick=${_}>${u?"Copied":"Copy key"}</button></li>
      <li>Name it and enter the ${r.app.digits}-digit code the app shows.</li>
    </ol>
    ${$?d`<p role="status">${Yt[o.status]}</p><button type="button" onClick=${n}>Close</button>`:d`<form onSubmit=${h}>
          <${Y} id="app-name" label="Name" maxlength="64" required hint="For example: My phone" />
          <${Y} id="app-code" label="Code from your app" ...${we} />
          <${x} error=${c} />
          <div class="row">
            <button type="submit" class="primary" disabled=${f}>Submit Code and Create</button>
            <button type="button" onClick=${async()=>{await B("cancelSetup",{setupId:r.id},Q("cancelSetup")),n()}}>Cancel</button>
          </div>
        </form>`}
  </div>`}function Cn({authenticators:e,onCreated:t,onCancel:n}){let[r,i]=g(""),[o,c]=g(null),[l,u]=g(!1),[s,f]=ae(_=>B("setUpSecurityKey",{name:r,code:_},Q("setUpSecurityKey"))),a=Ne();async function p(_){if(!_)return;let h=_.setup;u(!0);let $;try{$=await Wt(h.securityKey.creationOptions)}catch(b){u(!1),c(I(b)),await B("cancelSetup",{setupId:h.id},Q("cancelSetup"));return}let m=await B("submitSecurityKey",{setupId:h.id,credential:$,name:r},Q("submitSecurityKey"));u(!1),m.error?c(m.error):t(m.payload)}async function y(_){_.preventDefault(),c(null),await p(await f(null))}return d`<div class="setup" aria-labelledby="key-setup-title">
    <h3 id="key-setup-title">Security key or passkey</h3>
    ${s.needCode?d`<${ie} authenticators=${e} error=${s.error} busy=${s.busy}
          onCode=${async _=>p(await f(_))} onRetry=${async()=>p(await f(null))} onCancel=${n} />`:d`<p>A security key (such as a YubiKey) or a passkey on this device or your phone signs you in with a touch
          or your fingerprint, face or screen lock. It works only on this site, so a look-alike page cannot use it.</p>
        ${a?null:d`<p class="error" role="alert">This browser cannot use security keys or passkeys. Use a current Chrome, Edge,
              Firefox or Safari, or another method.</p>`}
        <form onSubmit=${y}>
          <${Y} id="key-name" label="Name" value=${r} onInput=${_=>i(_.currentTarget.value)}
            maxlength="64" required hint="For example: YubiKey or This laptop" />
          ${l?d`<p role="status" class="status">Touch your security key, or confirm on your device…</p>`:null}
          <${x} error=${o||s.error} />
          <div class="row">
            <button type="submit" class="primary" disabled=${!a||s.busy||l}>Add security key</button>
            <button type="button" onClick=${n}>Cancel</button>
          </div>
        </form>`}
  </div>`}function kn({codes:e,onDone:t}){let[n,r]=g(!1),i=e.join(`
`)+`
`,o=URL.createObjectURL(new Blob([i],{type:"text/plain"}));return M(()=>()=>URL.revokeObjectURL(o),[o]),d`<div class="recovery" role="region" aria-labelledby="recovery-title">
    <h2 id="recovery-title">Your recovery codes</h2>
    <p>Each code signs you in once if you lose your authenticators. Save them somewhere safe now: they are not shown again.</p>
    <ul class="codes">${e.map(c=>d`<li><code>${c}</code></li>`)}</ul>
    <div class="row">
      <button type="button" onClick=${async()=>{await navigator.clipboard.writeText(i),r(!0)}}>
        ${n?"Copied":"Copy codes"}
      </button>
      <a class="button" href=${o} download="twofactor-recovery-codes.txt">Download codes</a>
      <button type="button" class="primary" onClick=${t}>I saved them</button>
    </div>
  </div>`}function Tn({authenticators:e,onCodes:t}){let[n,r]=g(!1),[i,o,c]=ae(u=>B("regenerate",u?{code:u}:{},Q("regenerateRecoveryCodes")));async function l(u){let s=await o(u);s&&(r(!1),c(),t(s.recoveryCodes))}return i.needCode?d`<${ie} authenticators=${e} error=${i.error} busy=${i.busy}
      onCode=${l} onRetry=${()=>l(null)} onCancel=${()=>{r(!1),c()}} />`:n?d`<div class="row">
    <span>New codes replace all the old ones.</span>
    <button type="button" class="danger" onClick=${()=>l(null)} disabled=${i.busy}>Regenerate</button>
    <button type="button" onClick=${()=>r(!1)}>Cancel</button>
    <${x} error=${i.error} />
  </div>`:d`<button type="button" onClick=${()=>r(!0)}>Regenerate recovery codes</button>`}function Vt(){let[e,t]=g(0),n=()=>t(r=>r+1);return d`<section class="card" aria-labelledby="admin-title">
    <h1 id="admin-title">Administration</h1>
    <${An} onChanged=${n} />
    <${xn} onChanged=${n} />
    <${In} changes=${e} />
  </section>`}function An({onChanged:e}){let[t,n]=g(null),[r,i]=g(null),[o,c]=g(!1);M(()=>{U("policy").then(s=>n(s.twoFactorPolicy),s=>i(I(s)))},[]);let l=t?[...Object.keys(Pe),...t.enabledMethods.filter(s=>!(s in Pe))]:[];async function u(s){s.preventDefault();let f=new FormData(s.currentTarget),a={mandatory:f.get("mandatory")==="on",enabledMethods:l.filter(p=>f.get(`method-${p}`)==="on"),recoveryCodesEnabled:f.get("recovery")==="on"};c(!1);try{let p=(await U("setPolicy",{input:a})).admin.setTwoFactorPolicy;p.error?i(I(p.error)):(n(p.policy),i(null),c(!0),e())}catch(p){i(I(p))}}return t===null?d`<${x} error=${r} />`:d`<form onSubmit=${u} aria-labelledby="policy-title">
    <h2 id="policy-title">Policy</h2>
    <label class="choice"><input type="checkbox" name="mandatory" checked=${t.mandatory} /> Two-factor authentication is mandatory</label>
    <fieldset>
      <legend>Methods users may set up</legend>
      ${l.map(s=>d`<label class="choice" key=${s}><input type="checkbox" name=${`method-${s}`}
          checked=${t.enabledMethods.includes(s)} /> ${De(s)}</label>`)}
    </fieldset>
    <label class="choice"><input type="checkbox" name="recovery" checked=${t.recoveryCodesEnabled} /> Recovery codes</label>
    <${x} error=${r} />
    ${o?d`<p class="success" role="status">The policy was saved.</p>`:null}
    <button type="submit" class="primary">Save policy</button>
  </form>`}function xn({onChanged:e}){let[t,n]=g(null),[r,i]=g(null),[o,c]=g(null),[l,u]=g([]),[s,f,a]=ae(async _=>{try{let h=(await U("resetUser",{userId:t.id,code:_})).admin.resetUserTwoFactor;return h.error?{error:I(h.error)}:{payload:h}}catch(h){return{error:I(h)}}});async function p(_){_.preventDefault(),c(null),i(null);let h=new FormData(_.currentTarget).get("reset-email");try{let $=(await U("userByEmail",{email:h})).admin.user;n($),$||i({message:"No user has that email address."})}catch($){i(I($))}}M(()=>{s.needCode&&U("myTwoFactor").then(_=>u(_.myTwoFactor.authenticators),()=>u([]))},[s.needCode]);async function y(_){await f(_)&&(c(`The two-factor authentication of ${t.email} was reset. They can sign in with their password and set it up again.`),n(null),a(),e())}return d`<div aria-labelledby="reset-title">
    <h2 id="reset-title">Reset a user's 2FA</h2>
    <p class="muted">For a user who lost access: removes their authenticators and recovery codes and ends their sessions.</p>
    <form class="row" onSubmit=${p}>
      <${Y} id="reset-email" label="User's email" type="email" required />
      <button type="submit">Find user</button>
    </form>
    ${t?s.needCode?d`<${ie} authenticators=${l} error=${s.error} busy=${s.busy}
            onCode=${y} onRetry=${()=>y(null)} onCancel=${()=>{n(null),a()}} />`:d`<div class="row"><span>${t.name} (${t.email})</span>
            <button type="button" class="danger" onClick=${()=>y(null)} disabled=${s.busy}>Reset 2FA</button></div>
            <${x} error=${s.error} />`:null}
    <${x} error=${r} />
    ${o?d`<p class="success" role="status">${o}</p>`:null}
  </div>`}function In({changes:e}){let[t,n]=g([null]),[r,i]=g(null),[o,c]=g(null),l=t[t.length-1];return M(()=>{U("auditEvents",{after:l}).then(u=>i(u.admin.auditEvents),u=>c(I(u)))},[l,e]),d`<div aria-labelledby="audit-title">
    <h2 id="audit-title">Audit log</h2>
    <${x} error=${o} />
    ${r?d`<div class="table-wrap"><table>
          <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">User</th><th scope="col">Address</th></tr></thead>
          <tbody>${r.events.map(u=>d`<tr>
            <td>${ne(u.createdAt)}</td><td>${u.action}</td><td>${u.actorId||""}</td><td>${u.targetId||""}</td><td>${u.ip||""}</td>
          </tr>`)}</tbody>
        </table></div>
        <div class="row">
          <button type="button" disabled=${t.length===1} onClick=${()=>n(t.slice(0,-1))}>Newer</button>
          <button type="button" disabled=${!r.nextCursor} onClick=${()=>n([...t,r.nextCursor])}>Older</button>
        </div>`:null}
  </div>`}function jt({notice:e,onSignedIn:t}){let[n,r]=g(null),[i,o]=g(!1),c=kt(null);M(()=>c.current&&c.current.elements.email.focus(),[]);async function l(u){u.preventDefault();let s=new FormData(u.currentTarget);o(!0),r(null);try{let{login:f}=await U("login",{email:s.get("email"),password:s.get("password")});f.error?r(I(f.error)):t(f)}catch(f){r(I(f))}finally{o(!1)}}return d`<section class="card narrow" aria-labelledby="sign-in-title">
    <h1 id="sign-in-title">Sign in</h1>
    ${e?d`<p class="notice" role="status">${e}</p>`:null}
    <form onSubmit=${l} ref=${c}>
      <${Y} id="email" label="Email" type="email" autocomplete="username" required />
      <${Y} id="password" label="Password" type="password" autocomplete="current-password" required />
      <${x} error=${n} />
      <button type="submit" class="primary" disabled=${i}>Sign in</button>
    </form>
  </section>`}function Rn(e){return e==="EMAIL"?"Code from the email":e==="APP"?"Code from your app":"Code"}function Jt({authenticators:e,notice:t,onPassed:n,onEnded:r}){let i=e.filter(S=>S.method==="SECURITY_KEY"),o=e.filter(S=>S.method!=="SECURITY_KEY"),[c,l]=g(o.length?o[0].id:null),[u,s]=g(e.length===0),[f,a]=g(null),[p,y]=g(null),[_,h]=g(null),[$,m]=g(!1),b=o.find(S=>S.id===c),v=be(_&&_.resendAt);async function L(S,Z,K){m(!0),a(null);try{let q=(await U(S,Z))[K];return q.error?(a(I(q.error)),q.error.code==="TOO_MANY_ATTEMPTS"&&r("Too many wrong codes. Sign in again."),null):q}catch(q){return a(I(q)),q.code==="UNAUTHENTICATED"&&r("Your sign-in expired. Sign in again."),null}finally{m(!1)}}async function C(){let S=await L("sendLoginCode",{id:c},"sendLoginCode");S&&h({id:c,resendAt:S.resendAvailableAt?new Date(S.resendAvailableAt):null})}async function O(S){S.preventDefault();let Z=new FormData(S.currentTarget).get("code"),K=u?await L("verifyRecoveryCode",{code:Z},"verifyLoginWithRecoveryCode"):await L("verifyLogin",{id:c,code:Z},"verifyLogin");K&&n(K.session)}async function X(){m(!0),a(null),y(null);let S=await Fe();m(!1),S.payload?n(S.payload.session):S.error.code==="UNAUTHENTICATED"?r("Your sign-in expired. Sign in again."):S.error.code==="TOO_MANY_ATTEMPTS"?r("Too many failed tries. Sign in again."):y(S.error)}let j=d`<form onSubmit=${O}>
    ${u?d`<${Y} id="code" label="Recovery code" autocomplete="off" required maxlength="20" />`:d`<${Y} id="code" label=${Rn(b&&b.method)} ...${we} />`}
    <${x} error=${f} />
    <button type="submit" class=${u||!i.length?"primary":void 0} disabled=${$}>Verify</button>
  </form>`;return d`<section class="card narrow" aria-labelledby="challenge-title">
    <h1 id="challenge-title">Two-factor authentication</h1>
    ${t?d`<p class="notice" role="status">${t}</p>`:null}
    ${u?d`<p>Enter one of the recovery codes you saved when you set up two-factor authentication.</p>${j}`:d`${i.length?d`<div class="key-choice">
              <p>Use your security key, or the passkey on this device or your phone.</p>
              <button type="button" class="primary" onClick=${X} disabled=${$}>Use security key</button>
              <${x} error=${p} />
            </div>`:null}
        ${o.length?d`<fieldset>
              <legend>${i.length?"Or verify with a code from":"Verify with"}</legend>
              ${o.map(S=>d`<label class="choice">
                  <input type="radio" name="authenticator" value=${S.id} checked=${S.id===c}
                    onChange=${()=>{l(S.id),a(null)}} />
                  ${S.name}
                </label>`)}
            </fieldset>
            ${b&&b.method==="EMAIL"?d`<div class="row">
                  <button type="button" onClick=${C} disabled=${$||v>0}>
                    ${_&&_.id===c?"Send a new code":"Send code"}
                  </button>
                  <span role="status" class="muted">
                    ${_&&_.id===c?"We emailed you a code.":""}
                    ${v>0?` You can ask for another in ${v} s.`:""}
                  </span>
                </div>`:null}
            ${j}`:null}`}
    ${e.length?d`<button type="button" class="link" onClick=${()=>{s(!u),a(null),y(null)}}>
          ${u?"Use an authenticator instead":"Use a recovery code"}
        </button>`:null}
    <p class="muted">Lost access to your authenticators and recovery codes? Contact an administrator to reset your two-factor authentication.</p>
  </section>`}function On(){let[e,t]=g(window.location.hash);return M(()=>{let n=()=>t(window.location.hash);return window.addEventListener("hashchange",n),()=>window.removeEventListener("hashchange",n)},[]),e}function Pn(){let[e,t]=g({phase:"loading"}),n=On();async function r(s={}){try{let{session:f}=await U("session");f?f.nextStep==="TWO_FACTOR_CHALLENGE"?t({phase:"challenge",authenticators:f.authenticators||[],notice:s.challenge}):t(a=>a.phase==="signed-in"&&a.step===f.nextStep?a:{phase:"signed-in",user:f.user,step:f.nextStep}):t({phase:"signed-out",notice:s.ended})}catch(f){t({phase:"signed-out",error:I(f)})}}M(()=>{r()},[]);function i(){Ze(),r({ended:"Your session ended. Sign in again.",challenge:"Two-factor authentication was turned on for your account. Verify it is you to go on."})}function o(s){let f=s.session.nextStep;t(f==="TWO_FACTOR_CHALLENGE"?{phase:"challenge",authenticators:s.authenticators||[]}:{phase:"signed-in",user:s.session.user,step:f})}async function c(){try{await U("logout")}finally{Ze(),t({phase:"signed-out",notice:"You are signed out."})}}M(()=>{let s={"signed-out":"Sign in",challenge:"Two-factor authentication"};document.title=`${s[e.phase]||(n==="#/admin"?"Administration":"Your 2FA")} \xB7 twofactor`},[e.phase,n]);let l;e.phase==="loading"?l=d`<p role="status">Loading…</p>`:e.phase==="signed-out"?l=d`${e.error?d`<${x} error=${e.error} />`:null}
      <${jt} notice=${e.notice} onSignedIn=${o} />`:e.phase==="challenge"?l=d`<${Jt} authenticators=${e.authenticators} notice=${e.notice}
      onPassed=${s=>t({phase:"signed-in",user:s.user,step:s.nextStep})}
      onEnded=${s=>t({phase:"signed-out",notice:s})} />`:n==="#/admin"&&e.user.isAdmin&&e.step==="DONE"?l=d`<${Vt} />`:l=d`<${Ht} user=${e.user} step=${e.step}
      onSessionChanged=${i} />`;let u=e.phase==="signed-in"?e.user:null;return d`<header class="top">
      <a class="brand" href="#/">twofactor</a>
      ${u?d`<nav aria-label="Main">
            <a href="#/" aria-current=${n!=="#/admin"?"page":void 0}>Your 2FA</a>
            ${u.isAdmin&&e.step==="DONE"?d`<a href="#/admin" aria-current=${n==="#/admin"?"page":void 0}>Administration</a>`:null}
            <span class="muted who">${u.email}</span>
            <button type="button" onClick=${c}>Sign out</button>
          </nav>`:null}
    </header>
    <main id="main">${l}</main>`}mt(d`<${Pn} />`,document.getElementById("app"));
