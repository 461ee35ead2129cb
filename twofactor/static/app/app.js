var Ut=Object.defineProperty;var qt=(e,t,n)=>t in e?Ut(e,t,{enumerable:!0,configurable:!0,writable:!0,value:n}):e[t]=n;var se=(e,t,n)=>qt(e,typeof t!="symbol"?t+"":t,n);var Ce,x,Xe,Ht,te,ze,Ze,et,tt,De,Re,Pe,Wt,ue={},nt=[],Bt=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,Ee=Array.isArray;function Z(e,t){for(var n in t)e[n]=t[n];return e}function Fe(e){e&&e.parentNode&&e.parentNode.removeChild(e)}function Ne(e,t,n){var o,s,r,a={};for(r in t)r=="key"?o=t[r]:r=="ref"?s=t[r]:a[r]=t[r];if(arguments.length>2&&(a.children=arguments.length>3?Ce.call(arguments,2):n),typeof e=="function"&&e.defaultProps!=null)for(r in e.defaultProps)a[r]===void 0&&(a[r]=e.defaultProps[r]);return $e(e,a,o,s,null)}function $e(e,t,n,o,s){var r={type:e,props:t,key:n,ref:o,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:s??++Xe,__i:-1,__u:0};return s==null&&x.vnode!=null&&x.vnode(r),r}function Se(e){return e.children}function we(e,t){this.props=e,this.context=t}function ie(e,t){if(t==null)return e.__?ie(e.__,e.__i+1):null;for(var n;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null)return n.__e;return typeof e.type=="function"?ie(e):null}function ot(e){var t,n;if((e=e.__)!=null&&e.__c!=null){for(e.__e=e.__c.base=null,t=0;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null){e.__e=e.__c.base=n.__e;break}return ot(e)}}function Qe(e){(!e.__d&&(e.__d=!0)&&te.push(e)&&!ve.__r++||ze!=x.debounceRendering)&&((ze=x.debounceRendering)||Ze)(ve)}function ve(){for(var e,t,n,o,s,r,a,l=1;te.length;)te.length>l&&te.sort(et),e=te.shift(),l=te.length,e.__d&&(n=void 0,o=void 0,s=(o=(t=e).__v).__e,r=[],a=[],t.__P&&((n=Z({},o)).__v=o.__v+1,x.vnode&&x.vnode(n),Me(t.__P,n,o,t.__n,t.__P.namespaceURI,32&o.__u?[s]:null,r,s??ie(o),!!(32&o.__u),a),n.__v=o.__v,n.__.__k[n.__i]=n,it(r,n,a),o.__e=o.__=null,n.__e!=s&&ot(n)));ve.__r=0}function rt(e,t,n,o,s,r,a,l,u,c,_){var i,p,f,v,A,$,y,m=o&&o.__k||nt,b=t.length;for(u=jt(n,t,m,u,b),i=0;i<b;i++)(f=n.__k[i])!=null&&(p=f.__i==-1?ue:m[f.__i]||ue,f.__i=i,$=Me(e,f,p,s,r,a,l,u,c,_),v=f.__e,f.ref&&p.ref!=f.ref&&(p.ref&&Oe(p.ref,null,f),_.push(f.ref,f.__c||v,f)),A==null&&v!=null&&(A=v),(y=!!(4&f.__u))||p.__k===f.__k?u=st(f,u,e,y):typeof f.type=="function"&&$!==void 0?u=$:v&&(u=v.nextSibling),f.__u&=-7);return n.__e=A,u}function jt(e,t,n,o,s){var r,a,l,u,c,_=n.length,i=_,p=0;for(e.__k=new Array(s),r=0;r<s;r++)(a=t[r])!=null&&typeof a!="boolean"&&typeof a!="function"?(u=r+p,(a=e.__k[r]=typeof a=="string"||typeof a=="number"||typeof a=="bigint"||a.constructor==String?$e(null,a,null,null,null):Ee(a)?$e(Se,{children:a},null,null,null):a.constructor==null&&a.__b>0?$e(a.type,a.props,a.key,a.ref?a.ref:null,a.__v):a).__=e,a.__b=e.__b+1,l=null,(c=a.__i=Gt(a,n,u,i))!=-1&&(i--,(l=n[c])&&(l.__u|=2)),l==null||l.__v==null?(c==-1&&(s>_?p--:s<_&&p++),typeof a.type!="function"&&(a.__u|=4)):c!=u&&(c==u-1?p--:c==u+1?p++:(c>u?p--:p++,a.__u|=4))):e.__k[r]=null;if(i)for(r=0;r<_;r++)(l=n[r])!=null&&(2&l.__u)==0&&(l.__e==o&&(o=ie(l)),ct(l,l));return o}function st(e,t,n,o){var s,r;if(typeof e.type=="function"){for(s=e.__k,r=0;s&&r<s.length;r++)s[r]&&(s[r].__=e,t=st(s[r],t,n,o));return t}e.__e!=t&&(o&&(t&&e.type&&!t.parentNode&&(t=ie(e)),n.insertBefore(e.__e,t||null)),t=e.__e);do t=t&&t.nextSibling;while(t!=null&&t.nodeType==8);return t}function Gt(e,t,n,o){var s,r,a,l=e.key,u=e.type,c=t[n],_=c!=null&&(2&c.__u)==0;if(c===null&&e.key==null||_&&l==c.key&&u==c.type)return n;if(o>(_?1:0)){for(s=n-1,r=n+1;s>=0||r<t.length;)if((c=t[a=s>=0?s--:r++])!=null&&(2&c.__u)==0&&l==c.key&&u==c.type)return a}return-1}function Ke(e,t,n){t[0]=="-"?e.setProperty(t,n??""):e[t]=n==null?"":typeof n!="number"||Bt.test(t)?n:n+"px"}function be(e,t,n,o,s){var r,a;e:if(t=="style")if(typeof n=="string")e.style.cssText=n;else{if(typeof o=="string"&&(e.style.cssText=o=""),o)for(t in o)n&&t in n||Ke(e.style,t,"");if(n)for(t in n)o&&n[t]==o[t]||Ke(e.style,t,n[t])}else if(t[0]=="o"&&t[1]=="n")r=t!=(t=t.replace(tt,"$1")),a=t.toLowerCase(),t=a in e||t=="onFocusOut"||t=="onFocusIn"?a.slice(2):t.slice(2),e.l||(e.l={}),e.l[t+r]=n,n?o?n.u=o.u:(n.u=De,e.addEventListener(t,r?Pe:Re,r)):e.removeEventListener(t,r?Pe:Re,r);else{if(s=="http://www.w3.org/2000/svg")t=t.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(t!="width"&&t!="height"&&t!="href"&&t!="list"&&t!="form"&&t!="tabIndex"&&t!="download"&&t!="rowSpan"&&t!="colSpan"&&t!="role"&&t!="popover"&&t in e)try{e[t]=n??"";break e}catch{}typeof n=="function"||(n==null||n===!1&&t[4]!="-"?e.removeAttribute(t):e.setAttribute(t,t=="popover"&&n==1?"":n))}}function Je(e){return function(t){if(this.l){var n=this.l[t.type+e];if(t.t==null)t.t=De++;else if(t.t<n.u)return;return n(x.event?x.event(t):t)}}}function Me(e,t,n,o,s,r,a,l,u,c){var _,i,p,f,v,A,$,y,m,b,F,w,k,J,z,Q,ne,j=t.type;if(t.constructor!=null)return null;128&n.__u&&(u=!!(32&n.__u),r=[l=t.__e=n.__e]),(_=x.__b)&&_(t);e:if(typeof j=="function")try{if(y=t.props,m="prototype"in j&&j.prototype.render,b=(_=j.contextType)&&o[_.__c],F=_?b?b.props.value:_.__:o,n.__c?$=(i=t.__c=n.__c).__=i.__E:(m?t.__c=i=new j(y,F):(t.__c=i=new we(y,F),i.constructor=j,i.render=Yt),b&&b.sub(i),i.props=y,i.state||(i.state={}),i.context=F,i.__n=o,p=i.__d=!0,i.__h=[],i._sb=[]),m&&i.__s==null&&(i.__s=i.state),m&&j.getDerivedStateFromProps!=null&&(i.__s==i.state&&(i.__s=Z({},i.__s)),Z(i.__s,j.getDerivedStateFromProps(y,i.__s))),f=i.props,v=i.state,i.__v=t,p)m&&j.getDerivedStateFromProps==null&&i.componentWillMount!=null&&i.componentWillMount(),m&&i.componentDidMount!=null&&i.__h.push(i.componentDidMount);else{if(m&&j.getDerivedStateFromProps==null&&y!==f&&i.componentWillReceiveProps!=null&&i.componentWillReceiveProps(y,F),!i.__e&&i.shouldComponentUpdate!=null&&i.shouldComponentUpdate(y,i.__s,F)===!1||t.__v==n.__v){for(t.__v!=n.__v&&(i.props=y,i.state=i.__s,i.__d=!1),t.__e=n.__e,t.__k=n.__k,t.__k.some(function(X){X&&(X.__=t)}),w=0;w<i._sb.length;w++)i.__h.push(i._sb[w]);i._sb=[],i.__h.length&&a.push(i);break e}i.componentWillUpdate!=null&&i.componentWillUpdate(y,i.__s,F),m&&i.componentDidUpdate!=null&&i.__h.push(function(){i.componentDidUpdate(f,v,A)})}if(i.context=F,i.props=y,i.__P=e,i.__e=!1,k=x.__r,J=0,m){for(i.state=i.__s,i.__d=!1,k&&k(t),_=i.render(i.props,i.state,i.context),z=0;z<i._sb.length;z++)i.__h.push(i._sb[z]);i._sb=[]}else do i.__d=!1,k&&k(t),_=i.render(i.props,i.state,i.context),i.state=i.__s;while(i.__d&&++J<25);i.state=i.__s,i.getChildContext!=null&&(o=Z(Z({},o),i.getChildContext())),m&&!p&&i.getSnapshotBeforeUpdate!=null&&(A=i.getSnapshotBeforeUpdate(f,v)),Q=_,_!=null&&_.type===Se&&_.key==null&&(Q=at(_.props.children)),l=rt(e,Ee(Q)?Q:[Q],t,n,o,s,r,a,l,u,c),i.base=t.__e,t.__u&=-161,i.__h.length&&a.push(i),$&&(i.__E=i.__=null)}catch(X){if(t.__v=null,u||r!=null)if(X.then){for(t.__u|=u?160:128;l&&l.nodeType==8&&l.nextSibling;)l=l.nextSibling;r[r.indexOf(l)]=null,t.__e=l}else{for(ne=r.length;ne--;)Fe(r[ne]);Le(t)}else t.__e=n.__e,t.__k=n.__k,X.then||Le(t);x.__e(X,t,n)}else r==null&&t.__v==n.__v?(t.__k=n.__k,t.__e=n.__e):l=t.__e=Vt(n.__e,t,n,o,s,r,a,u,c);return(_=x.diffed)&&_(t),128&t.__u?void 0:l}function Le(e){e&&e.__c&&(e.__c.__e=!0),e&&e.__k&&e.__k.forEach(Le)}function it(e,t,n){for(var o=0;o<n.length;o++)Oe(n[o],n[++o],n[++o]);x.__c&&x.__c(t,e),e.some(function(s){try{e=s.__h,s.__h=[],e.some(function(r){r.call(s)})}catch(r){x.__e(r,s.__v)}})}function at(e){return typeof e!="object"||e==null||e.__b&&e.__b>0?e:Ee(e)?e.map(at):Z({},e)}function Vt(e,t,n,o,s,r,a,l,u){var c,_,i,p,f,v,A,$=n.props,y=t.props,m=t.type;if(m=="svg"?s="http://www.w3.org/2000/svg":m=="math"?s="http://www.w3.org/1998/Math/MathML":s||(s="http://www.w3.org/1999/xhtml"),r!=null){for(c=0;c<r.length;c++)if((f=r[c])&&"setAttribute"in f==!!m&&(m?f.localName==m:f.nodeType==3)){e=f,r[c]=null;break}}if(e==null){if(m==null)return document.createTextNode(y);e=document.createElementNS(s,m,y.is&&y),l&&(x.__m&&x.__m(t,r),l=!1),r=null}if(m==null)$===y||l&&e.data==y||(e.data=y);else{if(r=r&&Ce.call(e.childNodes),$=n.props||ue,!l&&r!=null)for($={},c=0;c<e.attributes.length;c++)$[(f=e.attributes[c]).name]=f.value;for(c in $)if(f=$[c],c!="children"){if(c=="dangerouslySetInnerHTML")i=f;else if(!(c in y)){if(c=="value"&&"defaultValue"in y||c=="checked"&&"defaultChecked"in y)continue;be(e,c,null,f,s)}}for(c in y)f=y[c],c=="children"?p=f:c=="dangerouslySetInnerHTML"?_=f:c=="value"?v=f:c=="checked"?A=f:l&&typeof f!="function"||$[c]===f||be(e,c,f,$[c],s);if(_)l||i&&(_.__html==i.__html||_.__html==e.innerHTML)||(e.innerHTML=_.__html),t.__k=[];else if(i&&(e.innerHTML=""),rt(t.type=="template"?e.content:e,Ee(p)?p:[p],t,n,o,m=="foreignObject"?"http://www.w3.org/1999/xhtml":s,r,a,r?r[0]:n.__k&&ie(n,0),l,u),r!=null)for(c=r.length;c--;)Fe(r[c]);l||(c="value",m=="progress"&&v==null?e.removeAttribute("value"):v!=null&&(v!==e[c]||m=="progress"&&!v||m=="option"&&v!=$[c])&&be(e,c,v,$[c],s),c="checked",A!=null&&A!=e[c]&&be(e,c,A,$[c],s))}return e}function Oe(e,t,n){try{if(typeof e=="function"){var o=typeof e.__u=="function";o&&e.__u(),o&&t==null||(e.__u=e(t))}else e.current=t}catch(s){x.__e(s,n)}}function ct(e,t,n){var o,s;if(x.unmount&&x.unmount(e),(o=e.ref)&&(o.current&&o.current!=e.__e||Oe(o,null,t)),(o=e.__c)!=null){if(o.componentWillUnmount)try{o.componentWillUnmount()}catch(r){x.__e(r,t)}o.base=o.__P=null}if(o=e.__k)for(s=0;s<o.length;s++)o[s]&&ct(o[s],t,n||typeof e.type!="function");n||Fe(e.__e),e.__c=e.__=e.__e=void 0}function Yt(e,t,n){return this.constructor(e,n)}function lt(e,t,n){var o,s,r,a;t==document&&(t=document.documentElement),x.__&&x.__(e,t),s=(o=typeof n=="function")?null:n&&n.__k||t.__k,r=[],a=[],Me(t,e=(!o&&n||t).__k=Ne(Se,null,[e]),s||ue,ue,t.namespaceURI,!o&&n?[n]:s?null:t.firstChild?Ce.call(t.childNodes):null,r,!o&&n?n:s?s.__e:t.firstChild,o,a),it(r,e,a)}Ce=nt.slice,x={__e:function(e,t,n,o){for(var s,r,a;t=t.__;)if((s=t.__c)&&!s.__)try{if((r=s.constructor)&&r.getDerivedStateFromError!=null&&(s.setState(r.getDerivedStateFromError(e)),a=s.__d),s.componentDidCatch!=null&&(s.componentDidCatch(e,o||{}),a=s.__d),a)return s.__E=s}catch(l){e=l}throw e}},Xe=0,Ht=function(e){return e!=null&&e.constructor==null},we.prototype.setState=function(e,t){var n;n=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=Z({},this.state),typeof e=="function"&&(e=e(Z({},n),this.props)),e&&Z(n,e),e!=null&&this.__v&&(t&&this._sb.push(t),Qe(this))},we.prototype.forceUpdate=function(e){this.__v&&(this.__e=!0,e&&this.__h.push(e),Qe(this))},we.prototype.render=Se,te=[],Ze=typeof Promise=="function"?Promise.prototype.then.bind(Promise.resolve()):setTimeout,et=function(e,t){return e.__v.__b-t.__v.__b},ve.__r=0,tt=/(PointerCapture)$|Capture$/i,De=0,Re=Je(!1),Pe=Je(!0),Wt=0;var de,R,Ue,ut,xe=0,gt=[],P=x,dt=P.__b,pt=P.__r,_t=P.diffed,ft=P.__c,mt=P.unmount,yt=P.__;function He(e,t){P.__h&&P.__h(R,e,xe||t),xe=0;var n=R.__H||(R.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function h(e){return xe=1,zt(wt,e)}function zt(e,t,n){var o=He(de++,2);if(o.t=e,!o.__c&&(o.__=[n?n(t):wt(void 0,t),function(l){var u=o.__N?o.__N[0]:o.__[0],c=o.t(u,l);u!==c&&(o.__N=[c,o.__[1]],o.__c.setState({}))}],o.__c=R,!R.__f)){var s=function(l,u,c){if(!o.__c.__H)return!0;var _=o.__c.__H.__.filter(function(p){return!!p.__c});if(_.every(function(p){return!p.__N}))return!r||r.call(this,l,u,c);var i=o.__c.props!==l;return _.forEach(function(p){if(p.__N){var f=p.__[0];p.__=p.__N,p.__N=void 0,f!==p.__[0]&&(i=!0)}}),r&&r.call(this,l,u,c)||i};R.__f=!0;var r=R.shouldComponentUpdate,a=R.componentWillUpdate;R.componentWillUpdate=function(l,u,c){if(this.__e){var _=r;r=void 0,s(l,u,c),r=_}a&&a.call(this,l,u,c)},R.shouldComponentUpdate=s}return o.__N||o.__}function O(e,t){var n=He(de++,3);!P.__s&&$t(n.__H,t)&&(n.__=e,n.u=t,R.__H.__h.push(n))}function bt(e){return xe=5,Qt(function(){return{current:e}},[])}function Qt(e,t){var n=He(de++,7);return $t(n.__H,t)&&(n.__=e(),n.__H=t,n.__h=e),n.__}function Kt(){for(var e;e=gt.shift();)if(e.__P&&e.__H)try{e.__H.__h.forEach(Ae),e.__H.__h.forEach(qe),e.__H.__h=[]}catch(t){e.__H.__h=[],P.__e(t,e.__v)}}P.__b=function(e){R=null,dt&&dt(e)},P.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),yt&&yt(e,t)},P.__r=function(e){pt&&pt(e),de=0;var t=(R=e.__c).__H;t&&(Ue===R?(t.__h=[],R.__h=[],t.__.forEach(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})):(t.__h.forEach(Ae),t.__h.forEach(qe),t.__h=[],de=0)),Ue=R},P.diffed=function(e){_t&&_t(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&(gt.push(t)!==1&&ut===P.requestAnimationFrame||((ut=P.requestAnimationFrame)||Jt)(Kt)),t.__H.__.forEach(function(n){n.u&&(n.__H=n.u),n.u=void 0})),Ue=R=null},P.__c=function(e,t){t.some(function(n){try{n.__h.forEach(Ae),n.__h=n.__h.filter(function(o){return!o.__||qe(o)})}catch(o){t.some(function(s){s.__h&&(s.__h=[])}),t=[],P.__e(o,n.__v)}}),ft&&ft(e,t)},P.unmount=function(e){mt&&mt(e);var t,n=e.__c;n&&n.__H&&(n.__H.__.forEach(function(o){try{Ae(o)}catch(s){t=s}}),n.__H=void 0,t&&P.__e(t,n.__v))};var ht=typeof requestAnimationFrame=="function";function Jt(e){var t,n=function(){clearTimeout(o),ht&&cancelAnimationFrame(t),setTimeout(e)},o=setTimeout(n,35);ht&&(t=requestAnimationFrame(n))}function Ae(e){var t=R,n=e.__c;typeof n=="function"&&(e.__c=void 0,n()),R=t}function qe(e){var t=R;e.__c=e.__(),R=t}function $t(e,t){return!e||e.length!==t.length||t.some(function(n,o){return n!==e[o]})}function wt(e,t){return typeof t=="function"?t(e):t}function W(e){return e===null?"null":Array.isArray(e)?"array":typeof e}function ee(e){return W(e)==="object"}function Xt(e){return Array.isArray(e)&&e.length>0&&e.every(t=>"message"in t)}function We(e,t){return e.length<124?e:t}var vt="graphql-transport-ws";var G=(e=>(e[e.InternalServerError=4500]="InternalServerError",e[e.InternalClientError=4005]="InternalClientError",e[e.BadRequest=4400]="BadRequest",e[e.BadResponse=4004]="BadResponse",e[e.Unauthorized=4401]="Unauthorized",e[e.Forbidden=4403]="Forbidden",e[e.SubprotocolNotAcceptable=4406]="SubprotocolNotAcceptable",e[e.ConnectionInitialisationTimeout=4408]="ConnectionInitialisationTimeout",e[e.ConnectionAcknowledgementTimeout=4504]="ConnectionAcknowledgementTimeout",e[e.SubscriberAlreadyExists=4409]="SubscriberAlreadyExists",e[e.TooManyInitialisationRequests=4429]="TooManyInitialisationRequests",e))(G||{}),V=(e=>(e.ConnectionInit="connection_init",e.ConnectionAck="connection_ack",e.Ping="ping",e.Pong="pong",e.Subscribe="subscribe",e.Next="next",e.Error="error",e.Complete="complete",e))(V||{});function Ct(e){if(!ee(e))throw new Error(`Message is expected to be an object, but got ${W(e)}`);if(!e.type)throw new Error("Message is missing the 'type' property");if(typeof e.type!="string")throw new Error(`Message is expects the 'type' property to be a string, but got ${W(e.type)}`);switch(e.type){case"connection_init":case"connection_ack":case"ping":case"pong":{if(e.payload!=null&&!ee(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object or nullish or missing, but got "${e.payload}"`);break}case"subscribe":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${W(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!ee(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${W(e.payload)}`);if(typeof e.payload.query!="string")throw new Error(`"${e.type}" message payload expects the 'query' property to be a string, but got ${W(e.payload.query)}`);if(e.payload.variables!=null&&!ee(e.payload.variables))throw new Error(`"${e.type}" message payload expects the 'variables' property to be a an object or nullish or missing, but got ${W(e.payload.variables)}`);if(e.payload.operationName!=null&&W(e.payload.operationName)!=="string")throw new Error(`"${e.type}" message payload expects the 'operationName' property to be a string or nullish or missing, but got ${W(e.payload.operationName)}`);if(e.payload.extensions!=null&&!ee(e.payload.extensions))throw new Error(`"${e.type}" message payload expects the 'extensions' property to be a an object or nullish or missing, but got ${W(e.payload.extensions)}`);break}case"next":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${W(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!ee(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${W(e.payload)}`);break}case"error":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${W(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!Xt(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an array of GraphQL errors, but got ${JSON.stringify(e.payload)}`);break}case"complete":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${W(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);break}default:throw new Error(`Invalid message 'type' property "${e.type}"`)}return e}function Et(e,t){return Ct(typeof e=="string"?JSON.parse(e,t):e)}function ae(e,t){return Ct(e),JSON.stringify(e,t)}function je(e){let{url:t,connectionParams:n,lazy:o=!0,onNonLazyError:s=console.error,lazyCloseTimeout:r=0,keepAlive:a=0,disablePong:l,connectionAckWaitTimeout:u=0,retryAttempts:c=5,retryWait:_=async function(T){let g=Math.pow(2,T);await new Promise(E=>setTimeout(E,g*1e3+Math.floor(Math.random()*2700+300)))},shouldRetry:i=Be,on:p,webSocketImpl:f,generateID:v=function(){return"xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g,T=>{let g=Math.random()*16|0;return(T=="x"?g:g&3|8).toString(16)})},jsonMessageReplacer:A,jsonMessageReviver:$}=e,y;if(f){if(!en(f))throw new Error("Invalid WebSocket implementation provided");y=f}else typeof WebSocket<"u"?y=WebSocket:typeof global<"u"?y=global.WebSocket||global.MozWebSocket:typeof window<"u"&&(y=window.WebSocket||window.MozWebSocket);if(!y)throw new Error("WebSocket implementation missing; on Node you can `import WebSocket from 'ws';` and pass `webSocketImpl: WebSocket` to `createClient`");let m=y,b=(()=>{let C=(()=>{let g={};return{on(E,I){return g[E]=I,()=>{delete g[E]}},emit(E){"id"in E&&g[E.id]?.(E)}}})(),T={connecting:p?.connecting?[p.connecting]:[],opened:p?.opened?[p.opened]:[],connected:p?.connected?[p.connected]:[],ping:p?.ping?[p.ping]:[],pong:p?.pong?[p.pong]:[],message:p?.message?[C.emit,p.message]:[C.emit],closed:p?.closed?[p.closed]:[],error:p?.error?[p.error]:[]};return{onMessage:C.on,on(g,E){let I=T[g];return I.push(E),()=>{I.splice(I.indexOf(E),1)}},emit(g,...E){for(let I of[...T[g]])I(...E)}}})();function F(C){let T=[b.on("error",g=>{T.forEach(E=>E()),C(g)}),b.on("closed",g=>{T.forEach(E=>E()),C(g)})]}let w,k=0,J,z=!1,Q=0,ne=!1;async function j(){clearTimeout(J);let[C,T]=await(w??(w=new Promise((I,H)=>(async()=>{if(z){if(await _(Q),!k)return w=void 0,H({code:1e3,reason:"All Subscriptions Gone"});Q++}b.emit("connecting",z);let S=new m(typeof t=="function"?await t():t,vt),oe,le;function ge(){isFinite(a)&&a>0&&(clearTimeout(le),le=setTimeout(()=>{S.readyState===m.OPEN&&(S.send(ae({type:V.Ping})),b.emit("ping",!1,void 0))},a))}F(M=>{w=void 0,clearTimeout(oe),clearTimeout(le),H(M),M instanceof pe&&(S.close(4499,"Terminated"),S.onerror=null,S.onclose=null)}),S.onerror=M=>b.emit("error",M),S.onclose=M=>b.emit("closed",M),S.onopen=async()=>{try{b.emit("opened",S);let M=typeof n=="function"?await n():n;if(S.readyState!==m.OPEN)return;S.send(ae(M?{type:V.ConnectionInit,payload:M}:{type:V.ConnectionInit},A)),isFinite(u)&&u>0&&(oe=setTimeout(()=>{S.close(G.ConnectionAcknowledgementTimeout,"Connection acknowledgement timeout")},u)),ge()}catch(M){b.emit("error",M),S.close(G.InternalClientError,We(M instanceof Error?M.message:String(M),"Internal client error"))}};let re=!1;S.onmessage=({data:M})=>{try{let N=Et(M,$);if(b.emit("message",N),N.type==="ping"||N.type==="pong"){b.emit(N.type,!0,N.payload),N.type==="pong"?ge():l||(S.send(ae(N.payload?{type:V.Pong,payload:N.payload}:{type:V.Pong})),b.emit("pong",!1,N.payload));return}if(re)return;if(N.type!==V.ConnectionAck)throw new Error(`First message cannot be of type ${N.type}`);clearTimeout(oe),re=!0,b.emit("connected",S,N.payload,z),z=!1,Q=0,I([S,new Promise((fn,Ot)=>F(Ot))])}catch(N){S.onmessage=null,b.emit("error",N),S.close(G.BadResponse,We(N instanceof Error?N.message:String(N),"Bad response"))}}})())));C.readyState===m.CLOSING&&await T;let g=()=>{},E=new Promise(I=>g=I);return[C,g,Promise.race([E.then(()=>{if(!k){let I=()=>C.close(1e3,"Normal Closure");isFinite(r)&&r>0?J=setTimeout(()=>{C.readyState===m.OPEN&&I()},r):I()}}),T])]}function X(C){if(Be(C)&&(Zt(C.code)||[G.InternalServerError,G.InternalClientError,G.BadRequest,G.BadResponse,G.Unauthorized,G.SubprotocolNotAcceptable,G.SubscriberAlreadyExists,G.TooManyInitialisationRequests].includes(C.code)))throw C;if(ne)return!1;if(Be(C)&&C.code===1e3)return k>0;if(!c||Q>=c||!i(C))throw C;return z=!0}o||(async()=>{for(k++;;)try{let[,,C]=await j();await C}catch(C){try{if(!X(C))return}catch(T){return s?.(T)}}})();function Ye(C,T){let g=v(C),E=!1,I=!1,H=()=>{k--,E=!0};return(async()=>{for(k++;;)try{let[S,oe,le]=await j();if(E)return oe();let ge=b.onMessage(g,re=>{switch(re.type){case V.Next:{T.next(re.payload);return}case V.Error:{I=!0,E=!0,T.error(re.payload),H();return}case V.Complete:{E=!0,H();return}}});S.send(ae({id:g,type:V.Subscribe,payload:C},A)),H=()=>{!E&&S.readyState===m.OPEN&&S.send(ae({id:g,type:V.Complete},A)),k--,E=!0,oe()},await le.finally(ge);return}catch(S){if(!X(S))return}})().then(()=>{I||T.complete()}).catch(S=>{T.error(S)}),()=>{E||H()}}return{on:b.on,subscribe:Ye,iterate(C){let T=[],g={done:!1,error:null,resolve:()=>{}},E=Ye(C,{next(H){T.push(H),g.resolve()},error(H){g.done=!0,g.error=H,g.resolve()},complete(){g.done=!0,g.resolve()}}),I=(async function*(){for(;;){for(T.length||await new Promise(S=>g.resolve=S);T.length;)yield T.shift();if(g.error)throw g.error;if(g.done)return}})();return I.throw=async H=>(g.done||(g.done=!0,g.error=H,g.resolve()),{done:!0,value:void 0}),I.return=async()=>(E(),{done:!0,value:void 0}),I},async dispose(){if(ne=!0,w){let[C]=await w;C.close(1e3,"Normal Closure")}},terminate(){w&&b.emit("closed",new pe)}}}var pe=class extends Error{constructor(){super(...arguments);se(this,"name","TerminatedCloseEvent");se(this,"message","4499: Terminated");se(this,"code",4499);se(this,"reason","Terminated");se(this,"wasClean",!1)}};function Be(e){return ee(e)&&"code"in e&&"reason"in e}function Zt(e){return[1e3,1001,1006,1005,1012,1013,1014].includes(e)?!1:e>=1e3&&e<=1999}function en(e){return typeof e=="function"&&"constructor"in e&&"CLOSED"in e&&"CLOSING"in e&&"CONNECTING"in e&&"OPEN"in e}var fe=class extends Error{constructor(t,n){super(t),this.code=n}},B="error { code message field retryAfterSeconds attemptsLeft }",Ge="id name method email createdAt lastUsedAt",_e="id method status name email expiresAt attemptsLeft resendAvailableAt",St=`enabled mandatory setupRequired availableMethods recoveryCodesRemaining
  authenticators { ${Ge} }`,At={session:"query Session { session { nextStep expiresAt user { id email name isAdmin } } }",login:`mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      session { nextStep user { id email name isAdmin } }
      authenticators { id name method }
      ${B}
    }
  }`,logout:"mutation Logout { logout { ok } }",sendLoginCode:`mutation SendLoginCode($id: ID!) {
    sendLoginCode(authenticatorId: $id) { expiresAt resendAvailableAt ${B} }
  }`,verifyLogin:`mutation VerifyLogin($id: ID!, $code: String!) {
    verifyLogin(authenticatorId: $id, code: $code) { session { nextStep user { id email name isAdmin } } ${B} }
  }`,verifyRecoveryCode:`mutation VerifyRecoveryCode($code: String!) {
    verifyLoginWithRecoveryCode(code: $code) { session { nextStep user { id email name isAdmin } } ${B} }
  }`,myTwoFactor:`query MyTwoFactor { myTwoFactor { ${St} } }`,setUpEmail:`mutation SetUpEmail($name: String!, $code: String) {
    myTwoFactor { setUpEmail(name: $name, code: $code) { setup { ${_e} } ${B} } }
  }`,setUpApp:`mutation SetUpApp($code: String) {
    myTwoFactor { setUpApp(code: $code) {
      setup { ${_e} app { setupKey otpauthUri qrCodePng digits period } } ${B}
    } }
  }`,resendCode:`mutation ResendCode($setupId: ID!) {
    myTwoFactor { resendCode(setupId: $setupId) { setup { ${_e} } ${B} } }
  }`,submitCode:`mutation SubmitCode($setupId: ID!, $code: String!, $name: String) {
    myTwoFactor { submitCode(setupId: $setupId, code: $code, name: $name) {
      authenticator { ${Ge} } message recoveryCodes setup { ${_e} } ${B}
    } }
  }`,cancelSetup:`mutation CancelSetup($setupId: ID!) {
    myTwoFactor { cancelSetup(setupId: $setupId) { setup { id status } ${B} } }
  }`,edit:`mutation Edit($id: ID!, $name: String!) {
    myTwoFactor { edit(id: $id, name: $name) { authenticator { ${Ge} } ${B} } }
  }`,remove:`mutation Remove($id: ID!, $code: String) {
    myTwoFactor { remove(id: $id, code: $code) { removedId ${B} } }
  }`,regenerate:`mutation RegenerateRecoveryCodes {
    myTwoFactor { regenerateRecoveryCodes { recoveryCodes ${B} } }
  }`,verification:`subscription Verification($setupId: ID!) {
    myTwoFactorVerification(setupId: $setupId) { ${_e} }
  }`,changed:`subscription Changed { myTwoFactorChanged { ${St} } }`,policy:"query Policy { twoFactorPolicy { mandatory enabledMethods recoveryCodesEnabled } }",setPolicy:`mutation SetPolicy($input: TwoFactorPolicyInput!) {
    admin { setTwoFactorPolicy(input: $input) { policy { mandatory enabledMethods recoveryCodesEnabled } ${B} } }
  }`,userByEmail:"query UserByEmail($email: String!) { admin { user(email: $email) { id email name isAdmin } } }",resetUser:`mutation ResetUser($userId: ID!) {
    admin { resetUserTwoFactor(userId: $userId) { user { id email } ${B} } }
  }`,auditEvents:`query AuditEvents($after: String) {
    admin { auditEvents(first: 20, after: $after) {
      events { id action createdAt actorId targetId ip details } nextCursor
    } }
  }`};async function U(e,t={}){let n;try{n=await fetch("/graphql",{method:"POST",credentials:"same-origin",headers:{"Content-Type":"application/json",Accept:"application/json"},body:JSON.stringify({query:At[e],variables:t})})}catch{throw new fe("The server cannot be reached. Check your connection and try again.","NETWORK")}let o;try{o=await n.json()}catch{throw new fe(`The server answered ${n.status}. Try again shortly.`,"SERVER")}if(o.errors&&o.errors.length){let s=o.errors[0],r=s.extensions&&s.extensions.code||"SERVER";throw new fe(s.message,r)}return o.data}var ce=null;function tn(){if(ce===null){let e=window.location.protocol==="https:"?"wss://":"ws://";ce=je({url:e+window.location.host+"/graphql",lazy:!0,retryAttempts:5,shouldRetry:t=>!(t&&typeof t.code=="number"&&t.code>=4400&&t.code<4500)})}return ce}function Ve(e,t,n,o){return tn().subscribe({query:At[e],variables:t},{next:s=>{s.data&&n(s.data)},error:()=>o&&o(),complete:()=>o&&o()})}function xt(){ce!==null&&(ce.dispose(),ce=null)}var kt=function(e,t,n,o){var s;t[0]=0;for(var r=1;r<t.length;r++){var a=t[r++],l=t[r]?(t[0]|=a?1:2,n[t[r++]]):t[++r];a===3?o[0]=l:a===4?o[1]=Object.assign(o[1]||{},l):a===5?(o[1]=o[1]||{})[t[++r]]=l:a===6?o[1][t[++r]]+=l+"":a?(s=e.apply(l,kt(e,l,n,["",null])),o.push(s),l[0]?t[0]|=2:(t[r-2]=0,t[r]=s)):o.push(l)}return o},Tt=new Map;function It(e){var t=Tt.get(this);return t||(t=new Map,Tt.set(this,t)),(t=kt(this,t.get(e)||(t.set(e,t=(function(n){for(var o,s,r=1,a="",l="",u=[0],c=function(p){r===1&&(p||(a=a.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?u.push(0,p,a):r===3&&(p||a)?(u.push(3,p,a),r=2):r===2&&a==="..."&&p?u.push(4,p,0):r===2&&a&&!p?u.push(5,0,!0,a):r>=5&&((a||!p&&r===5)&&(u.push(r,0,a,s),r=6),p&&(u.push(r,p,0,s),r=6)),a=""},_=0;_<n.length;_++){_&&(r===1&&c(),c(_));for(var i=0;i<n[_].length;i++)o=n[_][i],r===1?o==="<"?(c(),u=[u],r=3):a+=o:r===4?a==="--"&&o===">"?(r=1,a=""):a=o+a[0]:l?o===l?l="":a+=o:o==='"'||o==="'"?l=o:o===">"?(c(),r=1):r&&(o==="="?(r=5,s=a,a=""):o==="/"&&(r<5||n[_][i+1]===">")?(c(),r===3&&(u=u[0]),r=u,(u=u[0]).push(2,0,r),r=0):o===" "||o==="	"||o===`
`||o==="\r"?(c(),r=2):a+=o),r===3&&a==="!--"&&(r=4,u=u[0])}return c(),u})(e)),t),arguments,[])).length>1?t:t[0]}var d=It.bind(Ne),Te={EMAIL:"Email",APP:"Authenticator app"};function me(e){return e?new Date(e).toLocaleString(void 0,{dateStyle:"medium",timeStyle:"short"}):"Never"}function ye(e){let t=()=>e?Math.max(0,Math.ceil((e.getTime()-Date.now())/1e3)):0,[n,o]=h(t());return O(()=>{if(o(t()),!e)return;let s=setInterval(()=>{let r=t();o(r),r===0&&clearInterval(s)},1e3);return()=>clearInterval(s)},[e&&e.getTime()]),n}function nn(e){return e?new Date(Date.now()+e*1e3):null}function D(e){return e?{code:e.code,message:e.message,retryAt:nn(e.retryAfterSeconds),attemptsLeft:e.attemptsLeft}:null}function L({error:e}){let t=ye(e?e.retryAt:null);return e?d`<p class="error" role="alert">
    ${e.message}
    ${t>0?d` <span class="wait">Try again in ${t} s.</span>`:null}
    ${e.attemptsLeft!=null&&e.attemptsLeft>0?d` <span class="attempts">${e.attemptsLeft} ${e.attemptsLeft===1?"try":"tries"} left.</span>`:null}
  </p>`:null}function q({id:e,label:t,hint:n,...o}){return d`<div class="field">
    <label for=${e}>${t}</label>
    <input id=${e} name=${e} ...${o} aria-describedby=${n?`${e}-hint`:void 0} />
    ${n?d`<p class="hint" id=${`${e}-hint`}>${n}</p>`:null}
  </div>`}var he={inputmode:"numeric",autocomplete:"one-time-code",pattern:"[0-9 ]*",maxlength:8,required:!0};function Rt(){let[e,t]=h(0),n=()=>t(o=>o+1);return d`<section class="card" aria-labelledby="admin-title">
    <h1 id="admin-title">Administration</h1>
    <${on} onChanged=${n} />
    <${rn} onChanged=${n} />
    <${sn} changes=${e} />
  </section>`}function on({onChanged:e}){let[t,n]=h(null),[o,s]=h(null),[r,a]=h(!1);O(()=>{U("policy").then(u=>n(u.twoFactorPolicy),u=>s(D(u)))},[]);async function l(u){u.preventDefault();let c=new FormData(u.currentTarget),_={mandatory:c.get("mandatory")==="on",enabledMethods:["EMAIL","APP"].filter(i=>c.get(`method-${i}`)==="on"),recoveryCodesEnabled:c.get("recovery")==="on"};a(!1);try{let i=(await U("setPolicy",{input:_})).admin.setTwoFactorPolicy;i.error?s(D(i.error)):(n(i.policy),s(null),a(!0),e())}catch(i){s(D(i))}}return t===null?d`<${L} error=${o} />`:d`<form onSubmit=${l} aria-labelledby="policy-title">
    <h2 id="policy-title">Policy</h2>
    <label class="choice"><input type="checkbox" name="mandatory" checked=${t.mandatory} /> Two-factor authentication is mandatory</label>
    <fieldset>
      <legend>Methods users may set up</legend>
      <label class="choice"><input type="checkbox" name="method-EMAIL" checked=${t.enabledMethods.includes("EMAIL")} /> Email</label>
      <label class="choice"><input type="checkbox" name="method-APP" checked=${t.enabledMethods.includes("APP")} /> Authenticator app</label>
    </fieldset>
    <label class="choice"><input type="checkbox" name="recovery" checked=${t.recoveryCodesEnabled} /> Recovery codes</label>
    <${L} error=${o} />
    ${r?d`<p class="success" role="status">The policy was saved.</p>`:null}
    <button type="submit" class="primary">Save policy</button>
  </form>`}function rn({onChanged:e}){let[t,n]=h(null),[o,s]=h(null),[r,a]=h(null);async function l(c){c.preventDefault(),a(null),s(null);let _=new FormData(c.currentTarget).get("reset-email");try{let i=(await U("userByEmail",{email:_})).admin.user;n(i),i||s({message:"No user has that email address."})}catch(i){s(D(i))}}async function u(){try{let c=(await U("resetUser",{userId:t.id})).admin.resetUserTwoFactor;c.error?s(D(c.error)):(a(`The two-factor authentication of ${t.email} was reset. They can sign in with their password and set it up again.`),n(null),e())}catch(c){s(D(c))}}return d`<div aria-labelledby="reset-title">
    <h2 id="reset-title">Reset a user's 2FA</h2>
    <p class="muted">For a user who lost access: removes their authenticators and recovery codes and ends their sessions.</p>
    <form class="row" onSubmit=${l}>
      <${q} id="reset-email" label="User's email" type="email" required />
      <button type="submit">Find user</button>
    </form>
    ${t?d`<div class="row"><span>${t.name} (${t.email})</span>
          <button type="button" class="danger" onClick=${u}>Reset 2FA</button></div>`:null}
    <${L} error=${o} />
    ${r?d`<p class="success" role="status">${r}</p>`:null}
  </div>`}function sn({changes:e}){let[t,n]=h([null]),[o,s]=h(null),[r,a]=h(null),l=t[t.length-1];return O(()=>{U("auditEvents",{after:l}).then(u=>s(u.admin.auditEvents),u=>a(D(u)))},[l,e]),d`<div aria-labelledby="audit-title">
    <h2 id="audit-title">Audit log</h2>
    <${L} error=${r} />
    ${o?d`<div class="table-wrap"><table>
          <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">User</th><th scope="col">Address</th></tr></thead>
          <tbody>${o.events.map(u=>d`<tr>
            <td>${me(u.createdAt)}</td><td>${u.action}</td><td>${u.actorId||""}</td><td>${u.targetId||""}</td><td>${u.ip||""}</td>
          </tr>`)}</tbody>
        </table></div>
        <div class="row">
          <button type="button" disabled=${t.length===1} onClick=${()=>n(t.slice(0,-1))}>Newer</button>
          <button type="button" disabled=${!o.nextCursor} onClick=${()=>n([...t,o.nextCursor])}>Older</button>
        </div>`:null}
  </div>`}function Pt({notice:e,onSignedIn:t}){let[n,o]=h(null),[s,r]=h(!1),a=bt(null);O(()=>a.current&&a.current.elements.email.focus(),[]);async function l(u){u.preventDefault();let c=new FormData(u.currentTarget);r(!0),o(null);try{let{login:_}=await U("login",{email:c.get("email"),password:c.get("password")});_.error?o(D(_.error)):t(_)}catch(_){o(D(_))}finally{r(!1)}}return d`<section class="card narrow" aria-labelledby="sign-in-title">
    <h1 id="sign-in-title">Sign in</h1>
    ${e?d`<p class="notice" role="status">${e}</p>`:null}
    <form onSubmit=${l} ref=${a}>
      <${q} id="email" label="Email" type="email" autocomplete="username" required />
      <${q} id="password" label="Password" type="password" autocomplete="current-password" required />
      <${L} error=${n} />
      <button type="submit" class="primary" disabled=${s}>Sign in</button>
    </form>
  </section>`}function Lt({authenticators:e,onPassed:t,onEnded:n}){let[o,s]=h(e.length?e[0].id:null),[r,a]=h(e.length===0),[l,u]=h(null),[c,_]=h(null),[i,p]=h(!1),f=e.find(m=>m.id===o),v=ye(c&&c.resendAt);async function A(m,b,F){p(!0),u(null);try{let w=(await U(m,b))[F];return w.error?(u(D(w.error)),w.error.code==="TOO_MANY_ATTEMPTS"&&n("Too many wrong codes. Sign in again."),null):w}catch(w){return u(D(w)),w.code==="UNAUTHENTICATED"&&n("Your sign-in expired. Sign in again."),null}finally{p(!1)}}async function $(){let m=await A("sendLoginCode",{id:o},"sendLoginCode");m&&_({id:o,resendAt:m.resendAvailableAt?new Date(m.resendAvailableAt):null})}async function y(m){m.preventDefault();let b=new FormData(m.currentTarget).get("code"),F=r?await A("verifyRecoveryCode",{code:b},"verifyLoginWithRecoveryCode"):await A("verifyLogin",{id:o,code:b},"verifyLogin");F&&t(F.session)}return d`<section class="card narrow" aria-labelledby="challenge-title">
    <h1 id="challenge-title">Two-factor authentication</h1>
    ${r?d`<p>Enter one of the recovery codes you saved when you set up two-factor authentication.</p>`:d`<fieldset>
          <legend>Verify with</legend>
          ${e.map(m=>d`<label class="choice">
              <input type="radio" name="authenticator" value=${m.id} checked=${m.id===o}
                onChange=${()=>{s(m.id),u(null)}} />
              ${m.name} <span class="muted">(${Te[m.method]||m.method})</span>
            </label>`)}
        </fieldset>`}
    ${!r&&f&&f.method==="EMAIL"?d`<div class="row">
          <button type="button" onClick=${$} disabled=${i||v>0}>
            ${c&&c.id===o?"Send a new code":"Send code"}
          </button>
          <span role="status" class="muted">
            ${c&&c.id===o?"We emailed you a code.":""}
            ${v>0?` You can ask for another in ${v} s.`:""}
          </span>
        </div>`:null}
    <form onSubmit=${y}>
      ${r?d`<${q} id="code" label="Recovery code" autocomplete="off" required maxlength="20" />`:d`<${q} id="code" label=${f&&f.method==="EMAIL"?"Code from the email":"Code from your app"}
            ...${he} />`}
      <${L} error=${l} />
      <button type="submit" class="primary" disabled=${i}>Verify</button>
    </form>
    ${e.length?d`<button type="button" class="link" onClick=${()=>{a(!r),u(null)}}>
          ${r?"Use an authenticator instead":"Use a recovery code"}
        </button>`:null}
    <p class="muted">Lost access to your authenticators and recovery codes? Contact an administrator to reset your two-factor authentication.</p>
  </section>`}async function Y(e,t,n){try{let o=n(await U(e,t));return o.error?{error:D(o.error)}:{payload:o}}catch(o){return{error:D(o)}}}var K=e=>t=>t.myTwoFactor[e];function Dt({user:e}){let[t,n]=h(null),[o,s]=h(null),[r,a]=h(null),[l,u]=h(null),[c,_]=h(null);async function i(){try{n((await U("myTwoFactor")).myTwoFactor),s(null)}catch(f){s(D(f))}}if(O(()=>(i(),Ve("changed",{},f=>n(f.myTwoFactorChanged))),[]),o)return d`<section class="card"><${L} error=${o} /></section>`;if(t===null)return d`<p role="status">Loading…</p>`;function p(f){a(null),_(f.message),f.recoveryCodes&&u(f.recoveryCodes),i()}return d`<section class="card" aria-labelledby="your-2fa-title">
    <h1 id="your-2fa-title">Your 2FA</h1>
    <p>
      ${t.enabled?"Two-factor authentication is on.":"Two-factor authentication is off."}
      ${t.mandatory?" Your administrators require it.":""}
    </p>
    ${t.setupRequired?d`<p class="notice" role="status">Set up two-factor authentication to continue using your account.</p>`:null}
    ${c?d`<p class="success" role="status">${c}</p>`:null}
    ${l?d`<${un} codes=${l} onDone=${()=>u(null)} />`:null}

    <h2>Authenticators</h2>
    ${t.authenticators.length?d`<ul class="authenticators">
          ${t.authenticators.map(f=>d`<${an} key=${f.id} authenticator=${f} all=${t.authenticators}
              onChanged=${i} onNotice=${_} />`)}
        </ul>`:d`<p class="muted">No authenticators yet.</p>`}

    <h2>Add an authenticator</h2>
    ${r===null?d`<div class="row">
          ${t.availableMethods.includes("EMAIL")?d`<button type="button" onClick=${()=>{_(null),a("EMAIL")}}>Email Authentication</button>`:null}
          ${t.availableMethods.includes("APP")?d`<button type="button" onClick=${()=>{_(null),a("APP")}}>Authenticator App</button>`:null}
          ${t.availableMethods.length===0?d`<p class="muted">Your administrators have turned off every method.</p>`:null}
        </div>`:r==="EMAIL"?d`<${cn} user=${e} authenticators=${t.authenticators} onCreated=${p} onCancel=${()=>a(null)} />`:d`<${ln} authenticators=${t.authenticators} onCreated=${p} onCancel=${()=>a(null)} />`}

    ${t.enabled?d`<h2>Recovery codes</h2>
        <p>${t.recoveryCodesRemaining} unused recovery ${t.recoveryCodesRemaining===1?"code":"codes"} left.</p>
        <${dn} authenticators=${t.authenticators} onCodes=${f=>{u(f),i()}} />`:null}
  </section>`}function ke({authenticators:e,error:t,busy:n,onCode:o,onCancel:s}){let r=e.find(c=>c.method==="EMAIL"),[a,l]=h(null);async function u(){let c=await Y("sendLoginCode",{id:r.id},_=>_.sendLoginCode);l(c.error?c.error:{message:"We emailed you a code."})}return d`<form class="fresh" onSubmit=${c=>{c.preventDefault(),o(new FormData(c.currentTarget).get("fresh-code"))}}>
    <p>For your security, confirm it is you: enter a current code from one of your authenticators, or a recovery code.</p>
    ${r?d`<p><button type="button" onClick=${u}>Email me a code</button>
      ${a?d` <span role="status">${a.message}</span>`:null}</p>`:null}
    <${q} id="fresh-code" label="Current code" autocomplete="one-time-code" required maxlength="20" />
    <${L} error=${t} />
    <div class="row">
      <button type="submit" class="primary" disabled=${n}>Confirm</button>
      <button type="button" onClick=${s}>Cancel</button>
    </div>
  </form>`}function Ie(e){let[t,n]=h({needCode:!1,error:null,busy:!1});async function o(s){n({...t,busy:!0,error:null});let r=await e(s||null);return r.error&&r.error.code==="FRESH_CODE_REQUIRED"?(n({needCode:!0,error:s?r.error:null,busy:!1}),null):(n({needCode:t.needCode&&!!r.error,error:r.error||null,busy:!1}),r.error?null:r.payload)}return[t,o,()=>n({needCode:!1,error:null,busy:!1})]}function an({authenticator:e,all:t,onChanged:n,onNotice:o}){let[s,r]=h(!1),[a,l]=h(null),[u,c]=h(!1),[_,i,p]=Ie($=>Y("remove",{id:e.id,code:$},K("remove"))),f=`name-${e.id}`;async function v($){$.preventDefault();let y=new FormData($.currentTarget).get(f),m=await Y("edit",{id:e.id,name:y},K("edit"));m.error?l(m.error):(r(!1),l(null),o("The authenticator was renamed."),n())}async function A($){await i($)&&(o(`"${e.name}" was removed.`),n())}return d`<li class="authenticator">
    <div class="details">
      <strong>${e.name}</strong>
      <span class="muted">${Te[e.method]||e.method}${e.email?` \xB7 ${e.email}`:""}</span>
      <span class="muted">Added ${me(e.createdAt)} · Last used ${me(e.lastUsedAt)}</span>
    </div>
    ${s?d`<form class="row" onSubmit=${v}>
          <${q} id=${f} label="New name" value=${e.name} maxlength="64" required />
          <button type="submit" class="primary">Save</button>
          <button type="button" onClick=${()=>{r(!1),l(null)}}>Cancel</button>
          <${L} error=${a} />
        </form>`:u?_.needCode?d`<${ke} authenticators=${t} error=${_.error} busy=${_.busy}
              onCode=${A} onCancel=${()=>{c(!1),p()}} />`:d`<div class="row">
              <span>Remove "${e.name}"?</span>
              <button type="button" class="danger" onClick=${()=>A(null)} disabled=${_.busy}>Yes, remove</button>
              <button type="button" onClick=${()=>{c(!1),p()}}>Cancel</button>
              <${L} error=${_.error} />
            </div>`:d`<div class="row actions">
            <button type="button" onClick=${()=>r(!0)} aria-label=${`Edit ${e.name}`}>Edit</button>
            <button type="button" onClick=${()=>c(!0)} aria-label=${`Remove ${e.name}`}>Remove</button>
          </div>`}
  </li>`}var Ft={PENDING:"Sending the code\u2026",CODE_SENT:"We emailed you a code. It is valid for 10 minutes.",DELIVERY_FAILED:"We could not deliver the code. Send it again.",VERIFIED:"Verified.",EXPIRED:"The code expired. Start again.",LOCKED:"Too many wrong codes. Start again.",CANCELLED:"This set-up was cancelled."},Nt=new Set(["EXPIRED","LOCKED","CANCELLED"]);function Mt(e){let[t,n]=h(e);return O(()=>{if(e)return n(e),Ve("verification",{setupId:e.id},o=>n(o.myTwoFactorVerification))},[e&&e.id]),[t,n]}function cn({user:e,authenticators:t,onCreated:n,onCancel:o}){let[s,r]=h(""),[a,l]=h(null),[u,c]=Mt(a),[_,i]=h(null),[p,f]=h(!1),[v,A]=Ie(w=>Y("setUpEmail",{name:s,code:w},K("setUpEmail"))),$=ye(u&&u.resendAvailableAt?new Date(u.resendAvailableAt):null);async function y(w){w.preventDefault();let k=await A(null);k&&l(k.setup)}async function m(){let w=await Y("resendCode",{setupId:u.id},K("resendCode"));w.error?i(w.error):(i(null),c(w.payload.setup))}async function b(w){w.preventDefault(),f(!0);let k=new FormData(w.currentTarget).get("email-code"),J=await Y("submitCode",{setupId:u.id,code:k},K("submitCode"));f(!1),J.error?i(J.error):n(J.payload)}if(!u)return d`<div class="setup" aria-labelledby="email-setup-title">
      <h3 id="email-setup-title">Email Authentication</h3>
      ${v.needCode?d`<${ke} authenticators=${t} error=${v.error} busy=${v.busy}
            onCode=${async w=>{let k=await A(w);k&&l(k.setup)}} onCancel=${o} />`:d`<form onSubmit=${y}>
            <${q} id="email-name" label="Name" value=${s} onInput=${w=>r(w.currentTarget.value)}
              maxlength="64" required hint="For example: Work email" />
            <${q} id="email-address" label="Email" value=${e.email} readonly
              hint="Codes go to the address you sign in with." />
            <${L} error=${v.error} />
            <div class="row">
              <button type="submit" class="primary" disabled=${v.busy}>Send code</button>
              <button type="button" onClick=${o}>Cancel</button>
            </div>
          </form>`}
    </div>`;let F=Nt.has(u.status);return d`<div class="setup" aria-labelledby="email-setup-title">
    <h3 id="email-setup-title">Email Authentication</h3>
    <p role="status" aria-live="polite" class=${`status status-${u.status.toLowerCase()}`} data-status=${u.status}>
      ${Ft[u.status]||u.status}
    </p>
    ${F?d`<button type="button" onClick=${o}>Close</button>`:d`<form onSubmit=${b}>
          <${q} id="email-code" label="Code from the email" ...${he} />
          <${L} error=${_} />
          <div class="row">
            <button type="submit" class="primary" disabled=${p}>Submit Code and Create</button>
            <button type="button" onClick=${m} disabled=${$>0}>
              ${$>0?`Resend code (${$} s)`:"Resend code"}
            </button>
            <button type="button" onClick=${async()=>{await Y("cancelSetup",{setupId:u.id},K("cancelSetup")),o()}}>Cancel</button>
          </div>
        </form>`}
  </div>`}function ln({authenticators:e,onCreated:t,onCancel:n}){let[o,s]=h(null),[r]=Mt(o),[a,l]=h(null),[u,c]=h(!1),[_,i]=h(!1),[p,f]=Ie(y=>Y("setUpApp",{code:y},K("setUpApp")));O(()=>{f(null).then(y=>y&&s(y.setup))},[]);async function v(){try{await navigator.clipboard.writeText(o.app.setupKey.replace(/\s+/g,"")),c(!0)}catch{c(!1)}}async function A(y){y.preventDefault();let m=new FormData(y.currentTarget);i(!0);let b=await Y("submitCode",{setupId:o.id,code:m.get("app-code"),name:m.get("app-name")},K("submitCode"));i(!1),b.error?l(b.error):t(b.payload)}if(p.needCode)return d`<div class="setup"><h3>Authenticator App</h3>
      <${ke} authenticators=${e} error=${p.error} busy=${p.busy}
        onCode=${async y=>{let m=await f(y);m&&s(m.setup)}} onCancel=${n} /></div>`;if(!o)return d`<div class="setup"><h3>Authenticator App</h3>
      ${p.error?d`<${L} error=${p.error} /><button type="button" onClick=${n}>Close</button>`:d`<p role="status">Preparing…</p>`}</div>`;let $=r&&Nt.has(r.status);return d`<div class="setup" aria-labelledby="app-setup-title">
    <h3 id="app-setup-title">Authenticator App</h3>
    <ol class="steps">
      <li>Scan the QR code with your authenticator app.
        <img class="qr" src=${o.app.qrCodePng} width="200" height="200"
          alt="QR code to scan with your authenticator app" /></li>
      <li>Or type the setup key:
        <code class="setup-key" data-testid="setup-key">${o.app.setupKey}</code>
        <button type="button" onClick=${v}>${u?"Copied":"Copy key"}</button></li>
      <li>Name it and enter the ${o.app.digits}-digit code the app shows.</li>
    </ol>
    ${$?d`<p role="status">${Ft[r.status]}</p><button type="button" onClick=${n}>Close</button>`:d`<form onSubmit=${A}>
          <${q} id="app-name" label="Name" maxlength="64" required hint="For example: My phone" />
          <${q} id="app-code" label="Code from your app" ...${he} />
          <${L} error=${a} />
          <div class="row">
            <button type="submit" class="primary" disabled=${_}>Submit Code and Create</button>
            <button type="button" onClick=${async()=>{await Y("cancelSetup",{setupId:o.id},K("cancelSetup")),n()}}>Cancel</button>
          </div>
        </form>`}
  </div>`}function un({codes:e,onDone:t}){let[n,o]=h(!1),s=e.join(`
`)+`
`,r=URL.createObjectURL(new Blob([s],{type:"text/plain"}));return O(()=>()=>URL.revokeObjectURL(r),[r]),d`<div class="recovery" role="region" aria-labelledby="recovery-title">
    <h2 id="recovery-title">Your recovery codes</h2>
    <p>Each code signs you in once if you lose your authenticators. Save them somewhere safe now: they are not shown again.</p>
    <ul class="codes">${e.map(a=>d`<li><code>${a}</code></li>`)}</ul>
    <div class="row">
      <button type="button" onClick=${async()=>{await navigator.clipboard.writeText(s),o(!0)}}>
        ${n?"Copied":"Copy codes"}
      </button>
      <a class="button" href=${r} download="twofactor-recovery-codes.txt">Download codes</a>
      <button type="button" class="primary" onClick=${t}>I saved them</button>
    </div>
  </div>`}function dn({authenticators:e,onCodes:t}){let[n,o]=h(!1),[s,r,a]=Ie(u=>Y("regenerate",u?{code:u}:{},K("regenerateRecoveryCodes")));async function l(u){let c=await r(u);c&&(o(!1),a(),t(c.recoveryCodes))}return s.needCode?d`<${ke} authenticators=${e} error=${s.error} busy=${s.busy}
      onCode=${l} onCancel=${()=>{o(!1),a()}} />`:n?d`<div class="row">
    <span>New codes replace all the old ones.</span>
    <button type="button" class="danger" onClick=${()=>l(null)} disabled=${s.busy}>Regenerate</button>
    <button type="button" onClick=${()=>o(!1)}>Cancel</button>
    <${L} error=${s.error} />
  </div>`:d`<button type="button" onClick=${()=>o(!0)}>Regenerate recovery codes</button>`}function pn(){let[e,t]=h(window.location.hash);return O(()=>{let n=()=>t(window.location.hash);return window.addEventListener("hashchange",n),()=>window.removeEventListener("hashchange",n)},[]),e}function _n(){let[e,t]=h({phase:"loading"}),n=pn();O(()=>{U("session").then(({session:l})=>{l&&l.nextStep!=="TWO_FACTOR_CHALLENGE"?t({phase:"signed-in",user:l.user,step:l.nextStep}):t({phase:"signed-out"})},l=>t({phase:"signed-out",error:D(l)}))},[]);function o(l){let u=l.session.nextStep;t(u==="TWO_FACTOR_CHALLENGE"?{phase:"challenge",authenticators:l.authenticators||[]}:{phase:"signed-in",user:l.session.user,step:u})}async function s(){try{await U("logout")}finally{xt(),t({phase:"signed-out",notice:"You are signed out."})}}O(()=>{let l={"signed-out":"Sign in",challenge:"Two-factor authentication"};document.title=`${l[e.phase]||(n==="#/admin"?"Administration":"Your 2FA")} \xB7 twofactor`},[e.phase,n]);let r;e.phase==="loading"?r=d`<p role="status">Loading…</p>`:e.phase==="signed-out"?r=d`${e.error?d`<${L} error=${e.error} />`:null}
      <${Pt} notice=${e.notice} onSignedIn=${o} />`:e.phase==="challenge"?r=d`<${Lt} authenticators=${e.authenticators}
      onPassed=${l=>t({phase:"signed-in",user:l.user,step:l.nextStep})}
      onEnded=${l=>t({phase:"signed-out",notice:l})} />`:n==="#/admin"&&e.user.isAdmin&&e.step==="DONE"?r=d`<${Rt} />`:r=d`<${Dt} user=${e.user} />`;let a=e.phase==="signed-in"?e.user:null;return d`<header class="top">
      <a class="brand" href="#/">twofactor</a>
      ${a?d`<nav aria-label="Main">
            <a href="#/" aria-current=${n!=="#/admin"?"page":void 0}>Your 2FA</a>
            ${a.isAdmin&&e.step==="DONE"?d`<a href="#/admin" aria-current=${n==="#/admin"?"page":void 0}>Administration</a>`:null}
            <span class="muted who">${a.email}</span>
            <button type="button" onClick=${s}>Sign out</button>
          </nav>`:null}
    </header>
    <main id="main">${r}</main>`}lt(d`<${_n} />`,document.getElementById("app"));
